#pragma once

// Work the server repeats on a thread of its own: sweeps (expired previews, the log store's
// limits, the trash, automatic stops). Runs `work` at Start and then every `interval`, until
// Stop or destruction; a failure is logged with `name` and the next round runs as usual.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"

namespace yard {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<Status()> work)
      : name_(std::move(name)), interval_(interval), work_(std::move(work)) {}
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  /// Starts the thread; nothing when it runs already.
  void Start();
  /// Runs a round now instead of at the next interval (e.g. after a change that makes work).
  void Poke();
  /// Waits for a round in progress to end, then stops; the task can be started again.
  void Stop();

 private:
  const std::string name_;
  const std::chrono::milliseconds interval_;
  const std::function<Status()> work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool poked_ = false;     // guarded by mutex_
  std::thread thread_;
};

}  // namespace yard
