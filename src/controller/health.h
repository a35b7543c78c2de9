#pragma once

// The health state machine of one container, fed with probe results. Pure: the reconciler
// runs the probes and passes the time in.
//
// Until the first success the service is "starting" and is probed often (kFastProbe), so a
// deployment turns healthy as soon as it is; it becomes "unhealthy" only when no probe has
// succeeded by start_period + retries × interval (the same budget Docker gives it). After
// that, probes follow `interval`, and `retries` failures in a row make it unhealthy; one
// success makes it healthy again.

#include <chrono>

#include "controller/status.h"
#include "manifest/model.h"

namespace yard::controller {

class HealthTracker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::milliseconds kFastProbe{200};

  HealthTracker(const manifest::Health& health, TimePoint started);

  bool Due(TimePoint now) const { return now >= next_probe_; }
  void Record(bool ok, TimePoint now);
  HealthState state() const { return state_; }
  TimePoint next_probe() const { return next_probe_; }

 private:
  std::chrono::milliseconds interval_;
  TimePoint started_;
  TimePoint give_up_;  // still no success by then: unhealthy
  int retries_;
  int failures_ = 0;
  bool ever_healthy_ = false;
  HealthState state_ = HealthState::kStarting;
  TimePoint next_probe_;
};

}  // namespace yard::controller
