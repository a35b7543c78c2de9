// Deleting records the deployment in the trash before its volumes move there, once, and a
// delete cut short between the two is finished by the next pass.

#include <gtest/gtest.h>

#include "base/fs.h"
#include "controller/reconciler.h"
#include "controller/reconciler_test_fixture.h"
#include "store/domains.h"
#include "store/trash.h"

namespace yard::controller {
namespace {

using namespace testing_fixture;

class ReconcilerTrashTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    ReconcilerTest::SetUp();
    context_.trash = &trash_;
    context_.domains = &domains_;
    context_.trash_retention = std::chrono::hours(24);
  }

  store::DomainStore domains_{*db_, clock_};
  store::TrashStore trash_{*db_, clock_};
};

TEST_F(ReconcilerTrashTest, DeleteRecordsTheEntryAndMovesTheVolumesToItsPath) {
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  MUST(deployments_.AddValues(d.id, {{"secret", "v"}}));
  std::string dir = context_.naming.DeploymentDir("shop", "dev");
  ASSERT_TRUE(fs::Exists(dir + "/code"));

  MUST(deployments_.SetDesired(d.id, store::Desired::kDeleted));
  EXPECT_TRUE(reconciler.Pass().finished);
  EXPECT_EQ(deployments_.Find(d.id).error().code, ErrorCode::kNotFound);
  std::vector<store::TrashEntry> entries = MUST(trash_.ListForProject(project_.id));
  ASSERT_EQ(entries.size(), 1u);
  const store::TrashEntry& entry = entries[0];
  EXPECT_EQ(entry.name, "dev");
  EXPECT_EQ(entry.stage, "development");
  EXPECT_EQ(entry.deployment_id, d.id);
  EXPECT_EQ(entry.purge_at, clock_.NowUnix() + 24 * 3600);
  EXPECT_FALSE(fs::Exists(dir));
  EXPECT_TRUE(fs::Exists(entry.path + "/code"));
  store::TrashSnapshot snapshot = MUST(store::ReadSnapshot(entry.snapshot));
  EXPECT_EQ(snapshot.deployment.branch, "main");
  EXPECT_EQ(snapshot.values.at("secret"), "v");
}

TEST_F(ReconcilerTrashTest, ADeleteCutShortAfterRecordingIsFinishedAtItsPlannedPath) {
  store::Deployment d = Create("dev", "development");
  {
    Reconciler reconciler(context_, d.id);
    PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  }
  // The entry was recorded, then the server died before the move.
  std::string planned = context_.trash_dir + "/planned";
  MUST(trash_.Add({.project_id = project_.id,
                   .name = "dev",
                   .stage = "development",
                   .deployment_id = d.id,
                   .path = planned,
                   .snapshot = store::WriteSnapshot({.deployment = d}),
                   .purge_at = clock_.NowUnix() + 60}));
  MUST(deployments_.SetDesired(d.id, store::Desired::kDeleted));
  clock_.Advance(std::chrono::seconds(30));
  Reconciler after_restart(context_, d.id);
  EXPECT_TRUE(after_restart.Pass().finished);
  EXPECT_TRUE(fs::Exists(planned + "/code"));
  EXPECT_EQ(MUST(trash_.ListAll()).size(), 1u);
  EXPECT_EQ(deployments_.Find(d.id).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace yard::controller
