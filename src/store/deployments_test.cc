#include "store/deployments.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class DeploymentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    shop_ = MUST(projects_.Create(Project{.name = "shop",
                                          .source_kind = SourceKind::kHosted,
                                          .repo_path = "/data/repos/shop.git",
                                          .created_by = alice_.id}));
  }
  Deployment Make(const std::string& name) {
    Deployment d;
    d.project_id = shop_.id;
    d.name = name;
    d.stage = "development";
    d.branch = "main";
    d.params = {{"greeting", "hi"}};
    d.env = {{"DEBUG", "1"}};
    d.cpu_millis = 500;
    d.memory_bytes = 256 << 20;
    d.created_by = alice_.id;
    return d;
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  DeploymentStore deployments_{*db_, clock_};
  User alice_;
  Project shop_;
};

TEST_F(DeploymentStoreTest, CreateAndReadBack) {
  Deployment dev = MUST(deployments_.Create(Make("dev")));
  EXPECT_GT(dev.id, 0);
  EXPECT_EQ(dev.project, "shop");
  EXPECT_EQ(dev.params.at("greeting"), "hi");
  EXPECT_EQ(dev.env.at("DEBUG"), "1");
  EXPECT_EQ(dev.cpu_millis, 500);
  EXPECT_EQ(dev.desired, Desired::kRunning);
  EXPECT_EQ(dev.phase, "creating");
  EXPECT_EQ(dev.GenerationOf("web"), 1);
  EXPECT_EQ(MUST(deployments_.FindByName(shop_.id, "dev")).id, dev.id);
  EXPECT_EQ(MUST(deployments_.CountForProject(shop_.id)), 1);
}

TEST_F(DeploymentStoreTest, NamesAreUniquePerProject) {
  MUST(deployments_.Create(Make("dev")));
  auto again = deployments_.Create(Make("dev"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(DeploymentStoreTest, IdsOfDeletedDeploymentsAreNeverGivenAgain) {
  Deployment dev = MUST(deployments_.Create(Make("dev")));
  Deployment staging = MUST(deployments_.Create(Make("staging")));
  EXPECT_GT(staging.id, dev.id);
  // The newest row goes: SQLite alone would give its id to the next one.
  MUST(deployments_.Delete(staging.id));
  Deployment again = MUST(deployments_.Create(Make("staging")));
  EXPECT_GT(again.id, staging.id);
}

TEST_F(DeploymentStoreTest, ProjectWithDeploymentsCannotBeDeleted) {
  MUST(deployments_.Create(Make("dev")));
  EXPECT_FALSE(projects_.Delete(shop_.id));
}

TEST_F(DeploymentStoreTest, GenerationsReleaseAndPhase) {
  Deployment dev = MUST(deployments_.Create(Make("dev")));
  MUST(deployments_.BumpGenerations(dev.id, {"web", "db"}));
  MUST(deployments_.BumpGenerations(dev.id, {"web"}));
  MUST(deployments_.SetRelease(dev.id, "abc", {{"web", "img:abc"}}, 0));
  MUST(deployments_.RequestRebuild(dev.id, "abd", {"db"}));
  MUST(deployments_.SetPhase(dev.id, "running", ""));
  MUST(deployments_.SetDesired(dev.id, Desired::kStopped));
  Deployment read = MUST(deployments_.Find(dev.id));
  EXPECT_EQ(read.GenerationOf("web"), 3);
  EXPECT_EQ(read.GenerationOf("db"), 3);
  EXPECT_EQ(read.build_nonce, 1);
  EXPECT_EQ(read.release_nonce, 0);
  EXPECT_EQ(read.target_commit, "abd");
  EXPECT_EQ(read.release_commit, "abc");
  EXPECT_EQ(read.release_images.at("web"), "img:abc");
  EXPECT_EQ(read.phase, "running");
  EXPECT_EQ(read.desired, Desired::kStopped);
  EXPECT_EQ(deployments_.SetPhase(9999, "x", "").error().code, ErrorCode::kNotFound);
}

TEST_F(DeploymentStoreTest, ValuesKeepTheFirstDraw) {
  Deployment dev = MUST(deployments_.Create(Make("dev")));
  MUST(deployments_.AddValues(dev.id, {{"db/env/POSTGRES_PASSWORD#0", "first"}}));
  MUST(deployments_.AddValues(dev.id, {{"db/env/POSTGRES_PASSWORD#0", "second"}, {"k", "v"}}));
  auto values = MUST(deployments_.Values(dev.id));
  EXPECT_EQ(values.at("db/env/POSTGRES_PASSWORD#0"), "first");
  EXPECT_EQ(values.at("k"), "v");
  MUST(deployments_.Delete(dev.id));
  EXPECT_TRUE(MUST(deployments_.Values(dev.id)).empty());
}

TEST_F(DeploymentStoreTest, FollowBranchMovesOnlyFollowersThatHaveNotTakenTheHead) {
  Deployment follows = Make("follows");
  follows.target_commit = "c1";
  follows = MUST(deployments_.Create(follows));
  EXPECT_EQ(follows.followed_commit, "c1");
  EXPECT_TRUE(follows.auto_deploy);
  Deployment manual = Make("manual");
  manual.target_commit = "c1";
  manual = MUST(deployments_.Create(manual));
  MUST(deployments_.SetAutoDeploy(manual.id, false));
  Deployment other = Make("other");
  other.branch = "feature";
  other.target_commit = "f1";
  other = MUST(deployments_.Create(other));

  auto moved = MUST(deployments_.FollowBranch(shop_.id, "main", "c2"));
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].id, follows.id);
  Deployment read = MUST(deployments_.Find(follows.id));
  EXPECT_EQ(read.target_commit, "c2");
  EXPECT_EQ(read.followed_commit, "c2");
  EXPECT_GT(read.version, follows.version) << "a client can wait for the push's outcome";
  EXPECT_EQ(MUST(deployments_.Find(manual.id)).target_commit, "c1");
  EXPECT_EQ(MUST(deployments_.Find(other.id)).target_commit, "f1");

  // The same head again moves nothing, even after the target was moved elsewhere (a
  // rollback): only a new push does.
  MUST(deployments_.SetTargetCommit(follows.id, "c1"));
  EXPECT_TRUE(MUST(deployments_.FollowBranch(shop_.id, "main", "c2")).empty());
  EXPECT_EQ(MUST(deployments_.Find(follows.id)).target_commit, "c1");

  MUST(deployments_.SetBranch(other.id, "main", "c2"));
  read = MUST(deployments_.Find(other.id));
  EXPECT_EQ(read.branch, "main");
  EXPECT_EQ(read.target_commit, "c2");
  EXPECT_TRUE(MUST(deployments_.FollowBranch(shop_.id, "main", "c2")).empty());
}

TEST_F(DeploymentStoreTest, PreviewsCarryTheirBranchAndExpire) {
  Deployment plain = MUST(deployments_.Create(Make("plain")));
  EXPECT_EQ(plain.preview_branch, std::nullopt);
  EXPECT_EQ(plain.expires_at, std::nullopt);
  Deployment preview = Make("preview-feature-x");
  preview.branch = "feature/x";
  preview.preview_branch = "feature/x";
  preview.expires_at = clock_.NowUnix() + 100;
  preview = MUST(deployments_.Create(preview));
  EXPECT_EQ(preview.preview_branch, "feature/x");
  EXPECT_EQ(preview.expires_at, clock_.NowUnix() + 100);

  auto previews = MUST(deployments_.ListPreviews(shop_.id));
  ASSERT_EQ(previews.size(), 1u);
  EXPECT_EQ(previews[0].id, preview.id);

  EXPECT_TRUE(MUST(deployments_.ListExpired(clock_.NowUnix() + 99)).empty());
  auto expired = MUST(deployments_.ListExpired(clock_.NowUnix() + 100));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, preview.id);

  // Moving the expiry is not a user change; one being deleted is not listed again.
  MUST(deployments_.SetExpiry(preview.id, clock_.NowUnix() + 500));
  Deployment read = MUST(deployments_.Find(preview.id));
  EXPECT_EQ(read.expires_at, clock_.NowUnix() + 500);
  EXPECT_EQ(read.version, preview.version);
  EXPECT_TRUE(MUST(deployments_.ListExpired(clock_.NowUnix() + 100)).empty());
  MUST(deployments_.SetDesired(preview.id, Desired::kDeleted));
  EXPECT_TRUE(MUST(deployments_.ListExpired(clock_.NowUnix() + 1000)).empty());
  EXPECT_EQ(MUST(deployments_.ListPreviews(shop_.id)).size(), 1u);
  MUST(deployments_.SetExpiry(preview.id, std::nullopt));
  EXPECT_EQ(MUST(deployments_.Find(preview.id)).expires_at, std::nullopt);
  EXPECT_EQ(deployments_.SetExpiry(9999, 1).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace yard::store
