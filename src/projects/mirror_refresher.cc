#include "projects/mirror_refresher.h"

#include "base/log.h"

namespace yard::projects {

MirrorRefresher::MirrorRefresher(ProjectService& service, std::chrono::seconds interval)
    : service_(service), interval_(interval), thread_([this](std::stop_token stop) { Run(stop); }) {}

MirrorRefresher::~MirrorRefresher() {
  thread_.request_stop();
  wake_.notify_all();
}

void MirrorRefresher::Request(int64_t project_id) {
  std::lock_guard lock(mutex_);
  requested_.insert(project_id);
  wake_.notify_all();
}

void MirrorRefresher::Run(std::stop_token stop) {
  auto next_round = std::chrono::steady_clock::now() + interval_;
  while (!stop.stop_requested()) {
    std::set<int64_t> requested;
    {
      std::unique_lock lock(mutex_);
      auto ready = [&] { return !requested_.empty(); };
      if (interval_.count() > 0) {
        wake_.wait_until(lock, stop, next_round, ready);
      } else {
        wake_.wait(lock, stop, ready);
      }
      requested.swap(requested_);
    }
    if (stop.stop_requested()) break;
    for (int64_t id : requested) {
      if (stop.stop_requested()) return;
      Status refreshed = service_.RefreshById(id);
      if (!refreshed) log::Warn("fetching project {}: {}", id, refreshed.error().message);
    }
    if (interval_.count() > 0 && std::chrono::steady_clock::now() >= next_round) {
      service_.RefreshAll([&stop] { return stop.stop_requested(); });
      next_round = std::chrono::steady_clock::now() + interval_;
    }
  }
}

}  // namespace yard::projects
