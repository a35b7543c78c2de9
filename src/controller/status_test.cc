#include "controller/status.h"

#include <gtest/gtest.h>

namespace yard::controller {
namespace {

DeploymentStatus With(std::vector<ServiceState> states) {
  DeploymentStatus status;
  for (size_t i = 0; i < states.size(); ++i) {
    status.services.push_back({.id = "s" + std::to_string(i), .state = states[i]});
  }
  return status;
}

TEST(ComputePhaseTest, GreenOnlyWhenEverythingRuns) {
  DeploymentStatus status = With({ServiceState::kRunning, ServiceState::kRunning});
  ComputePhase({.has_release = true}, status);
  EXPECT_EQ(status.phase, Phase::kRunning);
  EXPECT_EQ(status.colour, Colour::kGreen);
  EXPECT_TRUE(status.reasons.empty());
}

TEST(ComputePhaseTest, StartingIsYellowWithReasons) {
  DeploymentStatus status = With({ServiceState::kRunning, ServiceState::kWaiting});
  ComputePhase({.has_release = true}, status);
  EXPECT_EQ(status.phase, Phase::kStarting);
  EXPECT_EQ(status.colour, Colour::kYellow);
  ASSERT_EQ(status.reasons.size(), 1u);
  EXPECT_EQ(status.reasons[0], "s1 is waiting");
}

TEST(ComputePhaseTest, CrashIsRed) {
  DeploymentStatus status = With({ServiceState::kRunning, ServiceState::kCrashed});
  status.services[1].last_exit_code = 137;
  status.services[1].restarts = 4;
  ComputePhase({.has_release = true}, status);
  EXPECT_EQ(status.phase, Phase::kDegraded);
  EXPECT_EQ(status.colour, Colour::kRed);
  EXPECT_EQ(status.reasons[0], "s1 keeps crashing (exit code 137, 4 restarts)");

  DeploymentStatus all = With({ServiceState::kCrashed});
  ComputePhase({.has_release = true}, all);
  EXPECT_EQ(all.phase, Phase::kFailed);
}

TEST(ComputePhaseTest, NothingObservedIsNeverGreen) {
  DeploymentStatus status;
  ComputePhase({.has_release = true}, status);
  EXPECT_EQ(status.phase, Phase::kStarting);
  EXPECT_EQ(status.colour, Colour::kYellow);
}

TEST(ComputePhaseTest, BuildStates) {
  DeploymentStatus status;
  ComputePhase({.building = true}, status);
  EXPECT_EQ(status.phase, Phase::kBuilding);
  ComputePhase({.build_error = "web: boom"}, status);
  EXPECT_EQ(status.phase, Phase::kFailed);
  EXPECT_EQ(status.colour, Colour::kRed);
  EXPECT_EQ(status.reasons[0], "build failed: web: boom");

  DeploymentStatus serving = With({ServiceState::kRunning});
  ComputePhase({.has_release = true, .build_error = "web: boom"}, serving);
  EXPECT_EQ(serving.phase, Phase::kRunning);
  EXPECT_EQ(serving.colour, Colour::kYellow);
}

TEST(ComputePhaseTest, StoppedAndDeleting) {
  DeploymentStatus status;
  ComputePhase({.stopped = true}, status);
  EXPECT_EQ(status.phase, Phase::kStopped);
  ComputePhase({.deleting = true}, status);
  EXPECT_EQ(status.phase, Phase::kDeleting);
}

}  // namespace
}  // namespace yard::controller
