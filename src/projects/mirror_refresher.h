#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>

#include "projects/project_service.h"

namespace yard::projects {

/// Fetches mirrored projects on a thread of its own, from construction until destruction
/// (which waits for a fetch in progress to finish): each one that was asked for (a webhook)
/// as soon as possible, and every one every `interval` (0: never) — the fallback for
/// remotes that send no webhooks.
class MirrorRefresher {
 public:
  MirrorRefresher(ProjectService& service, std::chrono::seconds interval);
  ~MirrorRefresher();
  MirrorRefresher(const MirrorRefresher&) = delete;
  MirrorRefresher& operator=(const MirrorRefresher&) = delete;

  /// Fetches the project soon; returns at once. Requests for a project already waiting are
  /// one fetch.
  void Request(int64_t project_id);

 private:
  void Run(std::stop_token stop);

  ProjectService& service_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::set<int64_t> requested_;  // guarded by mutex_
  std::jthread thread_;          // last: starts after the members it uses exist
};

}  // namespace yard::projects
