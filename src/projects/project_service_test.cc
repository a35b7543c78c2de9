#include "projects/project_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/fs.h"
#include "git/test_repo.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::projects {
namespace {

namespace gt = git::testing;

constexpr const char* kValidManifest = "version: 1\ncomponents:\n  - id: web\n";
constexpr const char* kBrokenManifest = "version: 1\ncomponents:\n  - id: web\n    port: 70000\n";

class ProjectServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    bob_ = MUST(users_.Create("bob", store::Role::kUser));
    admin_ = MUST(users_.Create("root", store::Role::kAdmin));
    // A source repository: a valid manifest on main, a broken one on feature, none on docs.
    source_ = dir_.File("source");
    gt::InitSource(source_);
    gt::WriteFile(source_, "stackyard.yaml", kValidManifest);
    gt::WriteFile(source_, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source_, "web/Dockerfile.dev", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source_, "first", 1'700'000'000);
    gt::Git(source_, {"checkout", "-q", "-b", "feature"});
    gt::WriteFile(source_, "stackyard.yaml", kBrokenManifest);
    gt::CommitAll(source_, "break the port", 1'700'000'100);
    gt::Git(source_, {"checkout", "-q", "main"});
  }

  std::string Repos() const { return dir_.File("data/repos"); }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore store_{*db_, clock_};
  ProjectService service_{store_, {.repos_dir = Repos()}};
  store::User alice_, bob_, admin_;
  std::string source_;
};

TEST_F(ProjectServiceTest, MirrorsALocalRepositoryAndReportsEachBranch) {
  store::Project project = MUST(service_.Create({"shop", source_}, alice_));
  EXPECT_EQ(project.source_kind, store::SourceKind::kLocal);
  EXPECT_EQ(project.repo_path, Repos() + "/shop.git");
  EXPECT_TRUE(project.refreshed_at.has_value());

  ProjectDetails details = MUST(service_.Describe(project));
  ASSERT_EQ(details.branches.size(), 2u);
  const BranchStatus& feature = details.branches[0];
  const BranchStatus& main = details.branches[1];
  EXPECT_EQ(main.branch.name, "main");
  EXPECT_EQ(main.branch.subject, "first");
  EXPECT_EQ(main.manifest, ManifestState::kValid);
  for (const auto& diagnostic : main.diagnostics) {
    EXPECT_NE(diagnostic.severity, manifest::Severity::kError) << diagnostic.message;
  }
  EXPECT_EQ(feature.branch.name, "feature");
  EXPECT_EQ(feature.manifest, ManifestState::kInvalid);
  ASSERT_FALSE(feature.diagnostics.empty());
  EXPECT_EQ(feature.diagnostics[0].line, 4);
  EXPECT_NE(feature.diagnostics[0].message.find("70000"), std::string::npos);
}

TEST_F(ProjectServiceTest, RefreshSeesNewCommits) {
  store::Project project = MUST(service_.Create({"shop", "file://" + source_}, alice_));
  gt::WriteFile(source_, "README", "hello\n");
  std::string head = gt::CommitAll(source_, "second", 1'700'000'200);
  ASSERT_TRUE(service_.Refresh(project));
  ProjectDetails details = MUST(service_.Describe(project));
  ASSERT_EQ(details.branches.size(), 2u);
  EXPECT_EQ(details.branches[1].branch.commit, head);
  EXPECT_EQ(details.branches[1].branch.subject, "second");
}

TEST_F(ProjectServiceTest, AFailedRefreshIsRecorded) {
  store::Project project = MUST(service_.Create({"shop", source_}, alice_));
  std::filesystem::remove_all(source_);
  Status refreshed = service_.Refresh(project);
  ASSERT_FALSE(refreshed);
  EXPECT_FALSE(MUST(store_.FindByName("shop")).refresh_error.empty());
  // The mirror still serves what it had.
  EXPECT_EQ(MUST(service_.Describe(project)).branches.size(), 2u);
}

TEST_F(ProjectServiceTest, HostedProjectsStartEmpty) {
  store::Project project = MUST(service_.Create({"blog", ""}, alice_));
  EXPECT_EQ(project.source_kind, store::SourceKind::kHosted);
  EXPECT_TRUE(MUST(service_.Describe(project)).branches.empty());
  EXPECT_EQ(service_.Refresh(project).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(ProjectServiceTest, BadRequestsLeaveNothingBehind) {
  struct Case {
    std::string name;
    std::string source;
    ErrorCode code;
  };
  std::string no_manifest = dir_.File("no-manifest");
  gt::InitSource(no_manifest);
  gt::WriteFile(no_manifest, "README", "no stack here\n");
  gt::CommitAll(no_manifest, "only a readme", 1'700'000'000);
  std::string empty = dir_.File("empty");
  gt::InitSource(empty);

  for (const Case& c : std::vector<Case>{
           {"Bad Name", source_, ErrorCode::kInvalidArgument},
           {"shop", "ext::sh -c touch% /tmp/pwned", ErrorCode::kInvalidArgument},
           {"shop", "-uhelp", ErrorCode::kInvalidArgument},
           {"shop", dir_.File("does-not-exist"), ErrorCode::kInvalidArgument},
           {"shop", no_manifest, ErrorCode::kFailedPrecondition},
           {"shop", empty, ErrorCode::kFailedPrecondition},
           {"shop", "http://127.0.0.1:1/shop.git", ErrorCode::kUnavailable},
       }) {
    SCOPED_TRACE(c.name + " from " + c.source);
    auto created = service_.Create({c.name, c.source}, alice_);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, c.code) << created.error().message;
    EXPECT_TRUE(MUST(store_.List()).empty());
    EXPECT_TRUE(!fs::Exists(Repos()) || gt::DirEntries(Repos()).empty());
  }
}

TEST_F(ProjectServiceTest, NamesAreUnique) {
  MUST(service_.Create({"shop", source_}, alice_));
  auto again = service_.Create({"shop", ""}, bob_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(MUST(store_.FindByName("shop")).source_kind, store::SourceKind::kLocal);
}

TEST_F(ProjectServiceTest, OnlyMembersAndAdminsSeeAProject) {
  MUST(service_.Create({"shop", source_}, alice_));
  EXPECT_TRUE(service_.Find("shop", alice_));
  EXPECT_TRUE(service_.Find("shop", admin_));
  EXPECT_EQ(service_.Find("shop", bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(MUST(service_.List(bob_)).size(), 0u);
  EXPECT_EQ(MUST(service_.List(admin_)).size(), 1u);
  EXPECT_TRUE(service_.FindAsOwner("shop", alice_));
  EXPECT_EQ(service_.FindAsOwner("shop", bob_).error().code, ErrorCode::kNotFound);
}

TEST_F(ProjectServiceTest, DeleteRemovesRowAndRepository) {
  store::Project project = MUST(service_.Create({"shop", source_}, alice_));
  ASSERT_TRUE(service_.Delete(project));
  EXPECT_FALSE(fs::Exists(project.repo_path));
  EXPECT_EQ(store_.FindByName("shop").error().code, ErrorCode::kNotFound);
  // The name is free again.
  EXPECT_TRUE(service_.Create({"shop", source_}, alice_));
}

}  // namespace
}  // namespace yard::projects
