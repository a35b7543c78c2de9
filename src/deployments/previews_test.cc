// Preview deployments without a controller: a mirrored project whose source the tests change
// with the real git, refreshed by hand (a push, as the server sees it), an in-memory store and
// a fake clock. What is checked is what gets recorded.

#include "deployments/previews.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "base/names.h"
#include "git/test_repo.h"
#include "projects/project_service.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments {
namespace {

namespace gt = git::testing;

constexpr const char* kStack = R"(version: 1
components:
  - id: web
    port: 8000
)";

TEST(PreviewNameTest, SlugOfTheBranchOrAHashedOneWhenTooLongOrTaken) {
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(PreviewName("feature/Login_Page", none), "preview-feature-login-page");
  EXPECT_EQ(PreviewName("fix--it//now.", none), "preview-fix-it-now");
  EXPECT_EQ(PreviewName("x", none), "preview-x");

  std::string long_branch = "feature/a-very-long-branch-name-that-goes-on";
  std::string cut = PreviewName(long_branch, none);
  EXPECT_LE(cut.size(), kMaxNameLength);
  EXPECT_TRUE(cut.starts_with("preview-feature-a-very-long")) << cut;
  EXPECT_EQ(cut, PreviewName(long_branch, none)) << "the same branch, the same name";
  EXPECT_NE(cut, PreviewName(long_branch + "-and-on", none)) << "the hash tells them apart";

  // Nothing usable in the branch: the hash alone.
  std::string symbols = PreviewName("___", none);
  EXPECT_EQ(symbols.size(), std::string("preview-").size() + 6) << symbols;

  // Taken names are avoided, the hashed one included.
  std::set<std::string> taken = {"preview-feature-x"};
  auto is_taken = [&taken](const std::string& name) { return taken.contains(name); };
  std::string second = PreviewName("feature/x", is_taken);
  EXPECT_TRUE(second.starts_with("preview-feature-x-")) << second;
  taken.insert(second);
  std::string third = PreviewName("feature/x", is_taken);
  EXPECT_FALSE(taken.contains(third)) << third;

  for (const std::string& name : {cut, symbols, second, third,
                                  PreviewName("Ünïcode/ブランチ", none),
                                  PreviewName(std::string(300, 'a'), none)}) {
    EXPECT_TRUE(ValidateName(name, "deployment")) << name;
  }
}

class PreviewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    bob_ = MUST(users_.Create("bob", store::Role::kUser));
    source_ = dir_.File("source");
    gt::InitSource(source_);
    gt::WriteFile(source_, "stackyard.yaml", kStack);
    gt::WriteFile(source_, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source_, "first", 1'700'000'000);
    Commit("feature/old", "old");
    project_ = MUST(projects_.Create({"shop", source_}, alice_));
  }

  // Commits a change on `branch` (made from main when new) in the source.
  std::string Commit(const std::string& branch, const std::string& text) {
    gt::Git(source_, {"checkout", "-q", "-B", branch,
                      branch == "main" || Exists(branch) ? branch : "main"});
    gt::WriteFile(source_, "web/app.txt", text + "\n");
    std::string commit = gt::CommitAll(source_, text, 1'700'000'000 + ++commits_);
    gt::Git(source_, {"checkout", "-q", "main"});
    return commit;
  }
  bool Exists(const std::string& branch) {
    return !gt::Git(source_, {"branch", "--list", branch}).empty();
  }
  void DeleteBranch(const std::string& branch) { gt::Git(source_, {"branch", "-q", "-D", branch}); }

  // The server's order after a fetch: refresh, then OnPush.
  void Push(std::optional<int64_t> pusher = std::nullopt) {
    MUST(projects_.Refresh(project_));
    MUST(previews_.OnPush(project_, pusher));
  }

  void Enable(const std::string& pattern = "feature/*", int64_t ttl = 3600) {
    MUST(previews_.Configure(project_, {.pattern = pattern, .stage = "staging", .ttl_seconds = ttl},
                             alice_));
  }

  std::vector<store::Deployment> Previews() {
    return MUST(deployment_store_.ListPreviews(project_.id));
  }
  store::Deployment Named(const std::string& name) {
    return MUST(deployment_store_.FindByName(project_.id, name));
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  store::DeploymentStore deployment_store_{*db_, clock_};
  store::PreviewBranchStore branch_store_{*db_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  DeploymentService service_{deployment_store_, nullptr};
  deployments::Previews previews_{{project_store_, deployment_store_, branch_store_, users_},
                                  service_,
                                  clock_};
  store::User alice_;
  store::User bob_;
  std::string source_;
  store::Project project_;
  int commits_ = 0;
};

TEST_F(PreviewsTest, ConfigureChecksPatternStageAndTimeToLive) {
  auto configure = [&](PreviewSettings settings) {
    return previews_.Configure(project_, settings, alice_);
  };
  auto bad_pattern = configure({.pattern = "has space", .stage = "staging"});
  ASSERT_FALSE(bad_pattern);
  EXPECT_EQ(bad_pattern.error().code, ErrorCode::kInvalidArgument);
  auto unknown_stage = configure({.pattern = "feature/*", .stage = "qa"});
  ASSERT_FALSE(unknown_stage);
  EXPECT_EQ(unknown_stage.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown_stage.error().message,
            "the stack on branch 'main' has no stage 'qa'; stages: development, staging, "
            "production");
  EXPECT_FALSE(configure({.pattern = "feature/*", .stage = ""}));
  for (int64_t ttl : {int64_t{0}, int64_t{3599}, kMaxPreviewTtlSeconds + 1}) {
    auto out_of_range = configure({.pattern = "feature/*", .stage = "staging", .ttl_seconds = ttl});
    ASSERT_FALSE(out_of_range) << ttl;
    EXPECT_NE(out_of_range.error().message.find("between 1h and 365d"), std::string::npos);
  }
  EXPECT_EQ(MUST(project_store_.Find(project_.id)).preview_pattern, "") << "nothing was saved";

  MUST(configure({.pattern = "feature/*", .stage = "production", .ttl_seconds = 7200}));
  store::Project read = MUST(project_store_.Find(project_.id));
  EXPECT_EQ(read.preview_pattern, "feature/*");
  EXPECT_EQ(read.preview_stage, "production");
  EXPECT_EQ(read.preview_ttl_seconds, 7200);
  MUST(configure({}));
  EXPECT_EQ(MUST(project_store_.Find(project_.id)).preview_pattern, "");
}

TEST_F(PreviewsTest, ABranchGetsItsPreviewAtItsFirstPushNotForExisting) {
  Enable();
  MUST(previews_.OnPush(project_, std::nullopt));
  EXPECT_TRUE(Previews().empty()) << "feature/old merely exists";

  std::string head = Commit("feature/New_UI", "new");
  Commit("main", "main moves");
  Commit("topic", "not matching");
  Push(bob_.id);
  auto made = Previews();
  ASSERT_EQ(made.size(), 1u);
  const store::Deployment& preview = made[0];
  EXPECT_EQ(preview.name, "preview-feature-new-ui");
  EXPECT_EQ(preview.stage, "staging");
  EXPECT_EQ(preview.branch, "feature/New_UI");
  EXPECT_EQ(preview.preview_branch, "feature/New_UI");
  EXPECT_EQ(preview.target_commit, head);
  EXPECT_EQ(preview.followed_commit, head) << "FollowBranches has nothing more to do";
  EXPECT_EQ(preview.expires_at, clock_.NowUnix() + 3600);
  EXPECT_EQ(preview.created_by, bob_.id);

  // Idempotent; and the existing branch's first push makes its preview, in the project
  // creator's name when the pusher is unknown (a fetch).
  MUST(previews_.OnPush(project_, std::nullopt));
  EXPECT_EQ(Previews().size(), 1u);
  Commit("feature/old", "old moves");
  Push();
  store::Deployment old = Named("preview-feature-old");
  EXPECT_EQ(old.created_by, alice_.id);
  EXPECT_EQ(Previews().size(), 2u);
}

TEST_F(PreviewsTest, PushesMoveTheExpiryAndSweepDeletesExpiredOnes) {
  Enable("feature/*", 3600);
  Commit("feature/a", "a");
  Commit("feature/b", "b");
  Push();
  ASSERT_EQ(Previews().size(), 2u);

  clock_.Advance(std::chrono::minutes(50));
  Commit("feature/a", "a again");
  Push();
  EXPECT_EQ(Named("preview-feature-a").expires_at, clock_.NowUnix() + 3600);
  EXPECT_EQ(Named("preview-feature-b").expires_at, clock_.NowUnix() + 600);

  MUST(previews_.Sweep());
  EXPECT_EQ(Named("preview-feature-b").desired, store::Desired::kRunning);
  clock_.Advance(std::chrono::minutes(10));
  MUST(previews_.Sweep());
  EXPECT_EQ(Named("preview-feature-b").desired, store::Desired::kDeleted);
  EXPECT_EQ(Named("preview-feature-a").desired, store::Desired::kRunning);

  // Once the controller has removed it, the branch's next push makes a new one.
  MUST(deployment_store_.Delete(Named("preview-feature-b").id));
  Push();
  EXPECT_EQ(Previews().size(), 1u) << "no push to feature/b, no preview";
  Commit("feature/b", "b again");
  Push();
  EXPECT_EQ(Named("preview-feature-b").desired, store::Desired::kRunning);
}

TEST_F(PreviewsTest, DeletingTheBranchDeletesItsPreviewAndARecreatedBranchIsNew) {
  Enable();
  std::string first = Commit("feature/x", "x");
  Push();
  store::Deployment preview = Named("preview-feature-x");

  DeleteBranch("feature/x");
  Push();
  EXPECT_EQ(Named("preview-feature-x").desired, store::Desired::kDeleted);
  MUST(deployment_store_.Delete(preview.id));  // the controller's part

  // The same commit pushed again as the same branch: a new branch, so a new preview.
  gt::Git(source_, {"branch", "feature/x", first});
  Push();
  EXPECT_EQ(Named("preview-feature-x").target_commit, first);
}

TEST_F(PreviewsTest, TurningPreviewsOffKeepsThemUntilTheirBranchGoesOrTheyExpire) {
  Enable();
  Commit("feature/x", "x");
  Commit("feature/y", "y");
  Push();
  ASSERT_EQ(Previews().size(), 2u);
  int64_t expiry = *Named("preview-feature-x").expires_at;

  MUST(previews_.Configure(project_, {}, alice_));
  Commit("feature/x", "x moves");
  Commit("feature/z", "z");
  DeleteBranch("feature/y");
  Push();
  EXPECT_EQ(Previews().size(), 2u) << "no new preview while off";
  EXPECT_EQ(Named("preview-feature-x").expires_at, expiry) << "nor a longer life";
  EXPECT_EQ(Named("preview-feature-y").desired, store::Desired::kDeleted);

  // On again: what exists now is the baseline.
  Enable();
  Push();
  EXPECT_EQ(Previews().size(), 2u);
  Commit("feature/z", "z moves");
  Push();
  EXPECT_EQ(Named("preview-feature-z").desired, store::Desired::kRunning);
}

TEST_F(PreviewsTest, TakenNamesAndStacksWithoutTheStage) {
  Enable();
  // An ordinary deployment took the name first.
  MUST(service_.Create(project_, {.name = "preview-feature-x", .stage = "development"}, alice_));
  Commit("feature/x", "x");
  Push();
  auto made = Previews();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_TRUE(made[0].name.starts_with("preview-feature-x-")) << made[0].name;
  EXPECT_FALSE(Named("preview-feature-x").preview_branch.has_value());

  // A branch whose stack lacks the stage gets none, and the next push tries again.
  gt::Git(source_, {"checkout", "-q", "-b", "feature/other"});
  gt::WriteFile(source_, "stackyard.yaml",
                std::string(kStack) + "stages:\n  - id: development\n    kind: dev\n");
  gt::CommitAll(source_, "only dev", 1'700'000'500);
  gt::Git(source_, {"checkout", "-q", "main"});
  Push();
  EXPECT_EQ(Previews().size(), 1u);
  MUST(previews_.OnPush(project_, std::nullopt));
  EXPECT_EQ(Previews().size(), 1u);
  gt::Git(source_, {"checkout", "-q", "feature/other"});
  gt::WriteFile(source_, "stackyard.yaml", kStack);
  gt::CommitAll(source_, "stages back", 1'700'000'600);
  gt::Git(source_, {"checkout", "-q", "main"});
  Push();
  EXPECT_EQ(Previews().size(), 2u);
}

}  // namespace
}  // namespace yard::deployments
