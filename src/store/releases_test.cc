#include "store/releases.h"

#include <gtest/gtest.h>

#include "store/deployments.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class ReleaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    Project shop = MUST(projects_.Create(Project{.name = "shop",
                                                 .source_kind = SourceKind::kHosted,
                                                 .repo_path = "/data/repos/shop.git",
                                                 .created_by = alice_.id}));
    Deployment d{.project_id = shop.id, .name = "prod", .stage = "production",
                 .branch = "main", .target_commit = "c1", .created_by = alice_.id};
    prod_ = MUST(deployments_.Create(d));
  }
  Release Built(const std::string& commit) {
    return Release{.deployment_id = prod_.id,
                   .commit = commit,
                   .images = {{"web", "img:" + commit}},
                   .params = {{"size", "s"}},
                   .build_id = 7};
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  DeploymentStore deployments_{*db_, clock_};
  ReleaseStore releases_{*db_, clock_};
  User alice_;
  Deployment prod_;
};

TEST_F(ReleaseStoreTest, BuildsActivateWithoutRetargetingAndRollbacksRetarget) {
  Release one = MUST(releases_.Activate(Built("c1"), false));
  EXPECT_EQ(one.number, 1);
  MUST(deployments_.FollowBranch(prod_.project_id, "main", "c2"));
  Release two = MUST(releases_.Activate(Built("c2"), false));
  EXPECT_EQ(two.number, 2);
  Deployment d = MUST(deployments_.Find(prod_.id));
  EXPECT_EQ(d.release_commit, "c2");
  EXPECT_EQ(d.release_images.at("web"), "img:c2");
  EXPECT_EQ(d.target_commit, "c2");
  int64_t version = d.version;

  Release back = one;
  back.kind = ReleaseKind::kRollback;
  back.source = "release 1";
  back.created_by = alice_.id;
  back = MUST(releases_.Activate(back, true));
  EXPECT_EQ(back.number, 3);
  EXPECT_EQ(back.created_by_name, "alice");
  d = MUST(deployments_.Find(prod_.id));
  EXPECT_EQ(d.release_commit, "c1");
  EXPECT_EQ(d.target_commit, "c1");
  EXPECT_EQ(d.followed_commit, "c2") << "the next push rolls forward again";
  EXPECT_EQ(d.version, version + 1);
  EXPECT_EQ(d.release_nonce, d.build_nonce);

  auto listed = MUST(releases_.List(prod_.id, 10));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].kind, ReleaseKind::kRollback);
  EXPECT_EQ(listed[2].params.at("size"), "s");
  EXPECT_EQ(MUST(releases_.Find(prod_.id, 2)).commit, "c2");
  EXPECT_EQ(releases_.Find(prod_.id, 9).error().code, ErrorCode::kNotFound);
}

TEST_F(ReleaseStoreTest, ImagesToKeepAreTheNewestReleasesAndWhatRuns) {
  for (const char* commit : {"c1", "c2", "c3", "c4"}) MUST(releases_.Activate(Built(commit), false));
  auto keep = MUST(releases_.ImagesToKeep(2));
  EXPECT_EQ(keep, (std::set<std::string>{"img:c3", "img:c4"}));
  Release back = MUST(releases_.Find(prod_.id, 1));
  back.kind = ReleaseKind::kRollback;
  MUST(releases_.Activate(back, true));
  keep = MUST(releases_.ImagesToKeep(1));
  EXPECT_EQ(keep, (std::set<std::string>{"img:c1"}));
}

}  // namespace
}  // namespace yard::store
