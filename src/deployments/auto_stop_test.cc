// Enabling, disabling and the automatic stop, with a fake clock.

#include "deployments/auto_stop.h"

#include <gtest/gtest.h>

#include "deployments/trash_test_fixture.h"

namespace yard::deployments {
namespace {

using testing_fixture::TrashFixture;
using AutoStopTest = TrashFixture;

TEST(RunForTest, ParsesDurationsAndNever) {
  EXPECT_EQ(MUST(ParseRunFor("")).kind, RunFor::Kind::kStageDefault);
  EXPECT_EQ(MUST(ParseRunFor("never")).kind, RunFor::Kind::kNever);
  RunFor two_hours = MUST(ParseRunFor("2h"));
  EXPECT_EQ(two_hours.kind, RunFor::Kind::kDuration);
  EXPECT_EQ(two_hours.seconds, 7200);
  EXPECT_EQ(MUST(ParseRunFor("1h30m")).seconds, 5400);
  for (const char* bad : {"2 hours", "-5s", "0s", "400d", "soon"}) {
    auto parsed = ParseRunFor(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_F(AutoStopTest, StageComesFromTheManifestAtTheTargetCommit) {
  auto dev = auto_stop_.StageOf(Make("dev", "development"));
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->kind, manifest::StageKind::kDev);
  EXPECT_EQ(dev->auto_stop_seconds, 12 * 3600);
  auto prod = auto_stop_.StageOf(Make("prod", "production"));
  ASSERT_TRUE(prod);
  EXPECT_EQ(prod->kind, manifest::StageKind::kBuild);
  store::Deployment unknown = Make("odd", "nowhere");
  EXPECT_FALSE(auto_stop_.StageOf(unknown));
}

TEST_F(AutoStopTest, EnablingSetsTheStopTimeFromTheRequestOrTheStage) {
  store::Deployment dev = Make("dev", "development");
  store::Deployment prod = Make("prod", "production");
  int64_t now = clock_.NowUnix();

  EXPECT_EQ(MUST(auto_stop_.Enable(dev, {})).stop_at, now + 12 * 3600);
  EXPECT_FALSE(MUST(auto_stop_.Enable(prod, {})).stop_at);
  EXPECT_EQ(MUST(auto_stop_.Enable(prod, MUST(ParseRunFor("2h")))).stop_at, now + 7200);
  store::Deployment forever = MUST(auto_stop_.Enable(dev, MUST(ParseRunFor("never"))));
  EXPECT_FALSE(forever.stop_at);
  EXPECT_EQ(forever.desired, store::Desired::kRunning);

  MUST(auto_stop_.Disable(MUST(deployment_store_.Find(prod.id))));
  store::Deployment disabled = MUST(deployment_store_.Find(prod.id));
  EXPECT_EQ(disabled.desired, store::Desired::kStopped);
  EXPECT_FALSE(disabled.stop_at);

  MUST(auto_stop_.Created(MUST(deployment_store_.Find(dev.id))));
  EXPECT_EQ(MUST(deployment_store_.Find(dev.id)).stop_at, now + 12 * 3600);
  store::Deployment staging = Make("staging", "staging");
  MUST(auto_stop_.Created(staging));
  EXPECT_FALSE(MUST(deployment_store_.Find(staging.id)).stop_at);
}

TEST_F(AutoStopTest, SweepStopsWhatIsDueAndKeepsWhenItStopped) {
  store::Deployment soon = Make("soon", "production");
  store::Deployment later = Make("later", "production");
  MUST(auto_stop_.Enable(soon, MUST(ParseRunFor("5s"))));
  MUST(auto_stop_.Enable(later, MUST(ParseRunFor("1h"))));
  MUST(auto_stop_.Sweep());
  EXPECT_EQ(MUST(deployment_store_.Find(soon.id)).desired, store::Desired::kRunning);

  clock_.Advance(std::chrono::seconds(5));
  MUST(auto_stop_.Sweep());
  store::Deployment stopped = MUST(deployment_store_.Find(soon.id));
  EXPECT_EQ(stopped.desired, store::Desired::kStopped);
  EXPECT_EQ(stopped.stop_at, clock_.NowUnix()) << "kept: when it stopped by itself";
  EXPECT_EQ(MUST(deployment_store_.Find(later.id)).desired, store::Desired::kRunning);
  int64_t version = stopped.version;
  MUST(auto_stop_.Sweep());
  EXPECT_EQ(MUST(deployment_store_.Find(soon.id)).version, version) << "stopped only once";

  // Enabling again: a fresh stop time replaces the old one before it runs.
  MUST(auto_stop_.Enable(stopped, MUST(ParseRunFor("1h"))));
  MUST(auto_stop_.Sweep());
  EXPECT_EQ(MUST(deployment_store_.Find(soon.id)).desired, store::Desired::kRunning);
}

TEST_F(AutoStopTest, ADeploymentBeingDeletedIsNeitherEnabledNorDisabled) {
  store::Deployment d = Make("dev", "development");
  MUST(service_.Delete(d));
  d = MUST(deployment_store_.Find(d.id));
  EXPECT_EQ(auto_stop_.Enable(d, {}).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(auto_stop_.Disable(d).error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace yard::deployments
