#include "base/periodic_task.h"

#include "base/log.h"

namespace yard {

void PeriodicTask::Start() {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      poked_ = false;
      lock.unlock();
      if (Status done = work_(); !done) log::Warn("{}: {}", name_, done.error().message);
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stopping_ || poked_; });
    }
  });
}

void PeriodicTask::Poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace yard
