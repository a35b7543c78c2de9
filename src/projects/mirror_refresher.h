#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "projects/project_service.h"

namespace yard::projects {

/// Refreshes every mirrored project every `interval`, on a thread of its own, from
/// construction until destruction (which waits for a refresh in progress to finish).
class MirrorRefresher {
 public:
  MirrorRefresher(ProjectService& service, std::chrono::seconds interval);
  ~MirrorRefresher();
  MirrorRefresher(const MirrorRefresher&) = delete;
  MirrorRefresher& operator=(const MirrorRefresher&) = delete;

 private:
  void Run(std::stop_token stop);

  ProjectService& service_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: starts after the members it uses exist
};

}  // namespace yard::projects
