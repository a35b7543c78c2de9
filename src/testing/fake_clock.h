#pragma once

#include <atomic>
#include <chrono>

#include "base/clock.h"

namespace yard::testing {

/// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds = 1'800'000'000) { SetUnix(unix_seconds); }
  std::chrono::system_clock::time_point Now() const override;
  void SetUnix(int64_t unix_seconds) { now_seconds_ = unix_seconds; }
  void Advance(std::chrono::seconds delta) { now_seconds_ += delta.count(); }

 private:
  std::atomic<int64_t> now_seconds_{0};
};

}  // namespace yard::testing
