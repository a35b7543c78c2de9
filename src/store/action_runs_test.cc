#include "store/action_runs.h"

#include <gtest/gtest.h>

#include "store/deployments.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class ActionRunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    User alice = MUST(users_.Create("alice", Role::kUser));
    Project shop = MUST(projects_.Create(Project{.name = "shop",
                                                 .source_kind = SourceKind::kHosted,
                                                 .repo_path = "/data/repos/shop.git",
                                                 .created_by = alice.id}));
    for (const char* name : {"a", "b"}) {
      Deployment d{.project_id = shop.id, .name = name, .stage = "production",
                   .branch = "main", .created_by = alice.id};
      ids_.push_back(MUST(deployments_.Create(d)).id);
    }
    alice_ = alice.id;
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  DeploymentStore deployments_{*db_, clock_};
  ActionRunStore runs_{*db_, clock_};
  std::vector<int64_t> ids_;
  int64_t alice_ = 0;
};

TEST_F(ActionRunStoreTest, RunEndsOnceWithItsExitCode) {
  ActionRun run = MUST(runs_.Start(ids_[0], "web", "migrate", {"/bin/sh", "-c", "echo 'hi'"},
                                   alice_));
  EXPECT_EQ(run.state, RunState::kRunning);
  EXPECT_EQ(run.service, "web");
  EXPECT_EQ(run.action, "migrate");
  EXPECT_EQ(run.command, (std::vector<std::string>{"/bin/sh", "-c", "echo 'hi'"}));
  EXPECT_EQ(run.started_by, alice_);
  EXPECT_EQ(run.started_at, clock_.NowUnix());
  EXPECT_FALSE(run.exit_code);
  EXPECT_FALSE(run.finished_at);

  clock_.Advance(std::chrono::seconds(3));
  MUST(runs_.Finish(run.id, RunState::kFailed, 3, ""));
  EXPECT_EQ(runs_.Finish(run.id, RunState::kSucceeded, 0, "").error().code,
            ErrorCode::kFailedPrecondition)
      << "a run ends once";
  ActionRun done = MUST(runs_.Find(run.id));
  EXPECT_EQ(done.state, RunState::kFailed);
  EXPECT_EQ(done.exit_code, 3);
  EXPECT_EQ(done.finished_at, run.started_at + 3);
  EXPECT_EQ(runs_.Find(9999).error().code, ErrorCode::kNotFound);
}

TEST_F(ActionRunStoreTest, ListsNewestFirstPerDeployment) {
  ActionRun first = MUST(runs_.Start(ids_[0], "web", "", {"true"}, std::nullopt));
  MUST(runs_.Start(ids_[1], "web", "", {"true"}, std::nullopt));
  ActionRun third = MUST(runs_.Start(ids_[0], "db", "", {"psql"}, alice_));
  auto listed = MUST(runs_.List(ids_[0], 10));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, third.id);
  EXPECT_EQ(listed[1].id, first.id);
  EXPECT_EQ(MUST(runs_.List(ids_[0], 1)).size(), 1u);
}

TEST_F(ActionRunStoreTest, ServerStartInterruptsRunningRuns) {
  ActionRun running = MUST(runs_.Start(ids_[0], "web", "seed", {"seed"}, alice_));
  ActionRun finished = MUST(runs_.Start(ids_[0], "web", "", {"true"}, alice_));
  MUST(runs_.Finish(finished.id, RunState::kSucceeded, 0, ""));
  auto cut = MUST(runs_.InterruptRunning("the server stopped"));
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].id, running.id);
  ActionRun after = MUST(runs_.Find(running.id));
  EXPECT_EQ(after.state, RunState::kInterrupted);
  EXPECT_EQ(after.error, "the server stopped");
  EXPECT_FALSE(after.exit_code);
  EXPECT_TRUE(after.finished_at);
  EXPECT_EQ(MUST(runs_.Find(finished.id)).state, RunState::kSucceeded);
}

TEST_F(ActionRunStoreTest, RunsGoWithTheirDeployment) {
  ActionRun run = MUST(runs_.Start(ids_[0], "web", "", {"true"}, alice_));
  MUST(deployments_.Delete(ids_[0]));
  EXPECT_EQ(runs_.Find(run.id).error().code, ErrorCode::kNotFound);
}

TEST_F(ActionRunStoreTest, StateNamesRoundTrip) {
  for (RunState state : {RunState::kRunning, RunState::kSucceeded, RunState::kFailed,
                         RunState::kInterrupted}) {
    EXPECT_EQ(MUST(ParseRunState(RunStateName(state))), state);
  }
  EXPECT_FALSE(ParseRunState("done"));
}

}  // namespace
}  // namespace yard::store
