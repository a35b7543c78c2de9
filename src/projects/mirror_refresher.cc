#include "projects/mirror_refresher.h"

namespace yard::projects {

MirrorRefresher::MirrorRefresher(ProjectService& service, std::chrono::seconds interval)
    : service_(service), interval_(interval), thread_([this](std::stop_token stop) { Run(stop); }) {}

MirrorRefresher::~MirrorRefresher() {
  thread_.request_stop();
  wake_.notify_all();
}

void MirrorRefresher::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex_);
      // Returns early, with true, when a stop is requested.
      if (wake_.wait_for(lock, stop, interval_, [] { return false; })) break;
    }
    if (stop.stop_requested()) break;
    service_.RefreshAll([&stop] { return stop.stop_requested(); });
  }
}

}  // namespace yard::projects
