#include "controller/health.h"

namespace yard::controller {

HealthTracker::HealthTracker(const manifest::Health& health, TimePoint started)
    : interval_(std::chrono::seconds(health.interval_seconds)),
      started_(started),
      give_up_(started + std::chrono::seconds(health.start_period_seconds) +
               health.retries * std::chrono::seconds(health.interval_seconds)),
      retries_(health.retries),
      next_probe_(started) {}

void HealthTracker::Record(bool ok, TimePoint now) {
  if (ok) {
    ever_healthy_ = true;
    failures_ = 0;
    state_ = HealthState::kHealthy;
    next_probe_ = now + interval_;
    return;
  }
  if (!ever_healthy_) {
    if (now >= give_up_) {
      state_ = HealthState::kUnhealthy;
      next_probe_ = now + interval_;
    } else {
      next_probe_ = now + kFastProbe;
    }
    return;
  }
  if (++failures_ >= retries_) state_ = HealthState::kUnhealthy;
  next_probe_ = now + interval_;
}

}  // namespace yard::controller
