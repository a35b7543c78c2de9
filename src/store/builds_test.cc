#include "store/builds.h"

#include <gtest/gtest.h>

#include "store/deployments.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class BuildStoreTest : public ::testing::Test {
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
  BuildStore builds_{*db_, clock_};
  std::vector<int64_t> ids_;
  int64_t alice_ = 0;
};

TEST_F(BuildStoreTest, QueueIsServedOldestFirstAndStatesOnlyMoveForward) {
  BuildRecord first = MUST(builds_.Enqueue(ids_[0], "c1", 0, "created", alice_));
  BuildRecord second = MUST(builds_.Enqueue(ids_[1], "c1", 0, "pushed", std::nullopt));
  EXPECT_EQ(first.state, BuildState::kQueued);
  EXPECT_EQ(first.requested_by, alice_);
  EXPECT_FALSE(second.requested_by);
  EXPECT_EQ(MUST(builds_.QueuePosition(second.id)), 2);

  auto claimed = MUST(builds_.ClaimNext());
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, first.id);
  EXPECT_EQ(claimed->state, BuildState::kRunning);
  EXPECT_TRUE(claimed->started_at);
  EXPECT_EQ(MUST(builds_.QueuePosition(first.id)), 0) << "running is not queued";
  EXPECT_EQ(MUST(builds_.QueuePosition(second.id)), 1);
  EXPECT_EQ(MUST(builds_.Active()).size(), 2u);

  MUST(builds_.Finish(first.id, BuildState::kSucceeded, "", {{"web", "img:c1"}}));
  EXPECT_EQ(builds_.Finish(first.id, BuildState::kFailed, "late", {}).error().code,
            ErrorCode::kFailedPrecondition);
  BuildRecord done = MUST(builds_.Find(first.id));
  EXPECT_EQ(done.state, BuildState::kSucceeded);
  EXPECT_EQ(done.images.at("web"), "img:c1");

  // A cancel and a claim race: only one wins.
  EXPECT_TRUE(MUST(builds_.CancelQueued(second.id, "cancelled by alice")));
  EXPECT_FALSE(MUST(builds_.ClaimNext()));
  EXPECT_FALSE(MUST(builds_.CancelQueued(second.id, "again")));
  EXPECT_EQ(MUST(builds_.Find(second.id)).error, "cancelled by alice");
  EXPECT_EQ(builds_.Find(9999).error().code, ErrorCode::kNotFound);
}

TEST_F(BuildStoreTest, NewerTargetSupersedesQueuedAndRunningBuilds) {
  BuildRecord running = MUST(builds_.Enqueue(ids_[0], "c1", 0, "push", std::nullopt));
  ASSERT_TRUE(MUST(builds_.ClaimNext()));
  BuildRecord queued = MUST(builds_.Enqueue(ids_[0], "c2", 0, "push", std::nullopt));
  BuildRecord current = MUST(builds_.Enqueue(ids_[0], "c3", 0, "push", std::nullopt));
  BuildRecord elsewhere = MUST(builds_.Enqueue(ids_[1], "c1", 0, "push", std::nullopt));

  auto to_stop = MUST(builds_.Supersede(ids_[0], "c3", 0));
  ASSERT_EQ(to_stop.size(), 1u);
  EXPECT_EQ(to_stop[0].id, running.id);
  EXPECT_EQ(MUST(builds_.Find(queued.id)).state, BuildState::kCancelled);
  EXPECT_NE(MUST(builds_.Find(queued.id)).error.find("superseded"), std::string::npos);
  EXPECT_EQ(MUST(builds_.Find(current.id)).state, BuildState::kQueued);
  EXPECT_EQ(MUST(builds_.Find(elsewhere.id)).state, BuildState::kQueued);
}

TEST_F(BuildStoreTest, RunningBuildsAreInterruptedAtStartAndCounted) {
  MUST(builds_.Enqueue(ids_[0], "c1", 0, "push", std::nullopt));
  ASSERT_TRUE(MUST(builds_.ClaimNext()));
  auto interrupted = MUST(builds_.InterruptRunning("the server stopped during the build"));
  ASSERT_EQ(interrupted.size(), 1u);
  MUST(builds_.Enqueue(ids_[0], "c1", 0, "resumed", std::nullopt));

  auto target = MUST(builds_.ForTarget(ids_[0], "c1", 0));
  ASSERT_TRUE(target.latest);
  EXPECT_EQ(target.latest->state, BuildState::kQueued);
  EXPECT_EQ(target.interrupted, 1);
  EXPECT_FALSE(MUST(builds_.ForTarget(ids_[0], "c1", 1)).latest) << "another nonce";
  auto listed = MUST(builds_.List(ids_[0], 10));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].state, BuildState::kInterrupted);
  EXPECT_EQ(listed[1].error, "the server stopped during the build");
}

}  // namespace
}  // namespace yard::store
