#include "controller/health.h"

#include <gtest/gtest.h>

namespace yard::controller {
namespace {

using namespace std::chrono_literals;

manifest::Health Check(int interval, int start_period, int retries) {
  manifest::Health health;
  health.interval_seconds = interval;
  health.start_period_seconds = start_period;
  health.retries = retries;
  return health;
}

TEST(HealthTrackerTest, ProbesFastUntilTheFirstSuccess) {
  std::chrono::steady_clock::time_point t0{};
  HealthTracker tracker(Check(10, 0, 3), t0);
  EXPECT_EQ(tracker.state(), HealthState::kStarting);
  EXPECT_TRUE(tracker.Due(t0));
  tracker.Record(false, t0);
  EXPECT_EQ(tracker.state(), HealthState::kStarting);
  EXPECT_EQ(tracker.next_probe(), t0 + HealthTracker::kFastProbe);
  tracker.Record(true, t0 + 1s);
  EXPECT_EQ(tracker.state(), HealthState::kHealthy);
  EXPECT_EQ(tracker.next_probe(), t0 + 11s);
}

TEST(HealthTrackerTest, GivesUpAfterStartPeriodPlusRetries) {
  std::chrono::steady_clock::time_point t0{};
  HealthTracker tracker(Check(2, 5, 3), t0);
  tracker.Record(false, t0 + 10s);
  EXPECT_EQ(tracker.state(), HealthState::kStarting);
  tracker.Record(false, t0 + 11s);
  EXPECT_EQ(tracker.state(), HealthState::kUnhealthy);
}

TEST(HealthTrackerTest, RetriesInARowMakeItUnhealthyAndOneSuccessHeals) {
  std::chrono::steady_clock::time_point t0{};
  HealthTracker tracker(Check(1, 0, 2), t0);
  tracker.Record(true, t0);
  tracker.Record(false, t0 + 1s);
  EXPECT_EQ(tracker.state(), HealthState::kHealthy);
  tracker.Record(false, t0 + 2s);
  EXPECT_EQ(tracker.state(), HealthState::kUnhealthy);
  tracker.Record(true, t0 + 3s);
  EXPECT_EQ(tracker.state(), HealthState::kHealthy);
}

}  // namespace
}  // namespace yard::controller
