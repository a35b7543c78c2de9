// The reconciler and the build queue: builds of pushed commits become releases, newer targets
// supersede older builds, interrupted builds are queued again, failures keep the release.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "controller/build_runner.h"
#include "controller/controller.h"
#include "controller/fake_runtime.h"
#include "controller/reconciler.h"
#include "edge/router.h"
#include "git/bare_repository.h"
#include "git/test_repo.h"
#include "store/migrations.h"
#include "store/users.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

#include "controller/reconciler_test_fixture.h"

namespace yard::controller {
namespace {

using namespace testing_fixture;

TEST_F(ReconcilerTest, PushedCommitIsBuiltIntoAReleaseAndANewerOneSupersedesItsBuild) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  auto releases = MUST(releases_.List(d.id, 10));
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0].number, 1);
  EXPECT_EQ(releases[0].created_by, user_.id) << "the first build is its creator's";

  // Two commits arrive while the queue is held: the build for the first is superseded.
  context_.build_queue = nullptr;
  git::testing::WriteFile(source_, "web/app.py", "print('two')\n");
  std::string second = git::testing::CommitAll(source_, "two", 1'700'000'100);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  ASSERT_EQ(MUST(deployments_.FollowBranch(project_.id, "main", second)).size(), 1u);
  reconciler.Pass();
  auto queued = MUST(builds_.List(d.id, 10));
  ASSERT_EQ(queued[0].state, store::BuildState::kQueued);
  EXPECT_EQ(reconciler.status().build_state, "queued");
  git::testing::WriteFile(source_, "web/app.py", "print('three')\n");
  std::string third = git::testing::CommitAll(source_, "three", 1'700'000'200);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  ASSERT_EQ(MUST(deployments_.FollowBranch(project_.id, "main", third)).size(), 1u);
  context_.build_queue = &build_queue_;
  PassUntil(reconciler, [&] { return MUST(deployments_.Find(d.id)).release_commit == third; });
  EXPECT_EQ(MUST(builds_.Find(queued[0].id)).state, store::BuildState::kCancelled);
  EXPECT_NE(MUST(builds_.Find(queued[0].id)).error.find("superseded"), std::string::npos);
  releases = MUST(releases_.List(d.id, 10));
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0].commit, third);
  EXPECT_EQ(releases[0].kind, store::ReleaseKind::kBuild);
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kGreen; });
  EXPECT_EQ(Running("-web-").at(0).spec.image.find(third.substr(0, 12)) != std::string::npos,
            true);
}

TEST_F(ReconcilerTest, InterruptedBuildIsQueuedAgainAFewTimesOnly) {
  store::Deployment d = Create("prod", "production");
  context_.build_queue = nullptr;  // builds wait in the queue
  Reconciler reconciler(context_, d.id);
  for (int i = 0; i < 3; ++i) {
    reconciler.Pass();
    ASSERT_TRUE(MUST(builds_.ClaimNext()));  // a runner takes it, and the server dies
    MUST(builds_.InterruptRunning("the server stopped during this build"));
  }
  reconciler.Pass();
  auto builds = MUST(builds_.List(d.id, 10));
  EXPECT_EQ(builds.size(), 3u) << "queued again twice after the first interruption";
  EXPECT_EQ(reconciler.status().build_state, "interrupted");
  EXPECT_EQ(reconciler.status().colour, Colour::kRed);
}

TEST_F(ReconcilerTest, BuiltStageBuildFailureKeepsThePreviousRelease) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  std::string first_image = Running("-web-").at(0).spec.image;
  EXPECT_NE(first_image.find(first_commit_.substr(0, 12)), std::string::npos);

  // A new commit whose build fails.
  git::testing::WriteFile(source_, "web/Dockerfile", "FROM nowhere\n");
  std::string second = git::testing::CommitAll(source_, "broken", 1'700'000'100);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  runtime_.FailBuilds(second.substr(0, 12), "FROM nowhere: image not known");
  MUST(deployments_.RequestRebuild(d.id, second, {"web", "db"}));
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kYellow; });
  PassUntil(reconciler, [&] {
    return reconciler.status().phase == Phase::kRunning && Running("-web-").size() == 1 &&
           Running("-web-2").size() == 1;
  });

  auto builds = MUST(builds_.List(d.id, 10));
  ASSERT_GE(builds.size(), 2u);
  EXPECT_EQ(builds[0].state, store::BuildState::kFailed);
  EXPECT_NE(builds[0].error.find("image not known"), std::string::npos);
  std::string log = MUST(fs::ReadFile(fmt::format("{}/{}.log", context_.build_logs_dir,
                                                  builds[0].id)));
  EXPECT_NE(log.find("image not known"), std::string::npos);
  // Still serving the first release (restarted: the rebuild asked for fresh containers).
  auto web = Running("-web-");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].spec.image, first_image);
  EXPECT_EQ(MUST(deployments_.Find(d.id)).release_commit, first_commit_);
  EXPECT_EQ(reconciler.status().phase, Phase::kRunning);
  EXPECT_EQ(reconciler.status().colour, Colour::kYellow);
  int builds_before = runtime_.builds();
  PassUntil(reconciler, [] { return false; }, 5);
  EXPECT_EQ(runtime_.builds(), builds_before) << "a failed build is not retried by itself";
}

TEST_F(ReconcilerTest, AnImageRemovedBehindItsBackIsBuiltAgain) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  std::string image = Running("-web-").at(0).spec.image;
  MUST(runtime_.RemoveImage(image));
  runtime_.Crash("-web-", 1);
  now_ += 10s;
  PassUntil(reconciler, [&] { return !Running("-web-").empty(); });
  EXPECT_EQ(Running("-web-").size(), 1u);
  EXPECT_TRUE(MUST(runtime_.InspectImage(image)).has_value()) << "built again";
}


}  // namespace
}  // namespace yard::controller
