// BareRepository against the real git: a source repository with two branches is mirrored by
// path and by file:// URL, read, refreshed, and pushed to.

#include "git/bare_repository.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "git/git_command.h"
#include "git/test_repo.h"
#include "testing/temp_dir.h"

namespace yard::git {
namespace {

using testing::CommitAll;
using testing::DirEntries;
using ::testing::ElementsAre;
using testing::Git;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::WriteFile;

constexpr std::chrono::seconds kTimeout{60};
constexpr int64_t kTime1 = 1'700'000'000;
constexpr int64_t kTime2 = 1'700'000'100;
constexpr int64_t kTime3 = 1'700'000'200;
const std::string kBigFile(100'000, 'x');

class BareRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::InitSource(source_);
    WriteFile(source_, "stackyard.yaml", "version: 1\n");
    WriteFile(source_, "web/Dockerfile", "FROM scratch\n");
    WriteFile(source_, "web/nested/deep/notes.txt", "deep\n");
    WriteFile(source_, "run.sh", "#!/bin/sh\n");
    WriteFile(source_, "big.bin", kBigFile);
    std::filesystem::permissions(source_ + "/run.sh", std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
    std::filesystem::create_symlink("web", source_ + "/link");
    // A gitlink (submodule entry) without a real submodule: only the tree entry matters here.
    // The empty directory is how an uninitialised submodule looks, so `add -A` keeps it.
    std::filesystem::create_directories(source_ + "/vendor/lib");
    Git(source_, {"update-index", "--add", "--cacheinfo",
                  "160000,1234567890123456789012345678901234567890,vendor/lib"});
    first_ = CommitAll(source_, "First commit", kTime1);
    Git(source_, {"checkout", "--quiet", "-b", "feature"});
    WriteFile(source_, "feature.txt", "feature\n");
    feature_ = CommitAll(source_, "Add feature", kTime2, "Reviewer");
    Git(source_, {"checkout", "--quiet", "main"});
    WriteFile(source_, "stackyard.yaml", "version: 2\n");
    main_ = CommitAll(source_, "Second commit", kTime3);
  }

  BareRepository MirrorOf(const std::string& url) {
    auto repo = BareRepository::Mirror(url, repos_.File("mirror.git"), kTimeout);
    EXPECT_TRUE(repo) << repo.error().message;
    return std::move(repo).value();
  }

  yard::testing::TempDir source_dir_;
  yard::testing::TempDir repos_;
  std::string source_ = source_dir_.File("source");
  std::string first_, feature_, main_;
};

TEST_F(BareRepositoryTest, MirrorByPathHasBothBranches) {
  BareRepository repo = MirrorOf(source_);
  EXPECT_EQ(repo.path(), repos_.File("mirror.git"));
  auto branches = repo.Branches();
  ASSERT_TRUE(branches) << branches.error().message;
  EXPECT_THAT(
      *branches,
      ElementsAre(
          Branch{"feature", feature_, "Add feature", "Reviewer", "Reviewer@example.com", kTime2},
          Branch{"main", main_, "Second commit", "Tester", "Tester@example.com", kTime3}));
  EXPECT_EQ(*repo.ResolveCommit("main"), main_);
  EXPECT_EQ(*repo.ResolveCommit("feature"), feature_);
  // The URL is not kept in the mirror's config.
  auto remotes = RunGit({.args = {"config", "--get-regexp", "^remote\\."}, .git_dir = repo.path()});
  ASSERT_TRUE(remotes);
  EXPECT_EQ(remotes->exit_code, 1) << remotes->stdout_data;
}

TEST_F(BareRepositoryTest, MirrorByFileUrlLeavesOnlyTheRepository) {
  BareRepository repo = MirrorOf("file://" + source_);
  auto branches = repo.Branches();
  ASSERT_TRUE(branches) << branches.error().message;
  ASSERT_EQ(branches->size(), 2u);
  EXPECT_EQ((*branches)[0].commit, feature_);
  EXPECT_EQ((*branches)[1].commit, main_);
  EXPECT_THAT(DirEntries(repos_.path()), ElementsAre("mirror.git"));  // no staging leftovers
  EXPECT_EQ(Git(repo.path(), {"symbolic-ref", "HEAD"}), "refs/heads/main");
  EXPECT_EQ(Git(repo.path(), {"rev-parse", "--is-bare-repository"}), "true");
}

TEST_F(BareRepositoryTest, ReadFileAtHeadsAndOlderCommit) {
  BareRepository repo = MirrorOf(source_);
  EXPECT_EQ(*repo.ReadFile("main", "stackyard.yaml", 1024), "version: 2\n");
  EXPECT_EQ(*repo.ReadFile("feature", "stackyard.yaml", 1024), "version: 1\n");
  EXPECT_EQ(*repo.ReadFile(first_, "stackyard.yaml", 1024), "version: 1\n");
  EXPECT_EQ(*repo.ReadFile(first_.substr(0, 10), "web/Dockerfile", 1024), "FROM scratch\n");
  EXPECT_EQ(*repo.ReadFile("feature", "feature.txt", 1024), "feature\n");
  EXPECT_EQ(*repo.ReadFile(main_, "web/nested/deep/notes.txt", 1024), "deep\n");
  EXPECT_EQ(*repo.ReadFile("main", "big.bin", kBigFile.size()), kBigFile);  // exactly at limit
  auto missing_on_main = repo.ReadFile("main", "feature.txt", 1024);
  ASSERT_FALSE(missing_on_main);
  EXPECT_EQ(missing_on_main.error().code, ErrorCode::kNotFound);
}

TEST_F(BareRepositoryTest, ReadFileRejectsBadPathsAndNonFiles) {
  BareRepository repo = MirrorOf(source_);
  struct Case {
    std::string path;
    ErrorCode code;
    std::string text;
  };
  using namespace std::string_literals;
  for (const Case& c : std::vector<Case>{
           {"../etc/passwd", ErrorCode::kInvalidArgument, "'..'"},
           {"web/../../etc/passwd", ErrorCode::kInvalidArgument, "'..'"},
           {"/etc/passwd", ErrorCode::kInvalidArgument, "relative"},
           {"stackyard.yaml\0.txt"s, ErrorCode::kInvalidArgument, "control"},
           {"", ErrorCode::kInvalidArgument, "empty"},
           {"web", ErrorCode::kInvalidArgument, "is a directory"},
           {"link", ErrorCode::kInvalidArgument, "is a symlink"},
           {"vendor/lib", ErrorCode::kInvalidArgument, "is a submodule"},
           {"missing.txt", ErrorCode::kNotFound, "does not exist"},
           {"web/Dockerfile/x", ErrorCode::kNotFound, "does not exist"},
           {"link/Dockerfile", ErrorCode::kNotFound, "does not exist"},  // no symlink following
           {"web/*", ErrorCode::kNotFound, "does not exist"},            // no globbing
       }) {
    auto result = repo.ReadFile("main", c.path, 1024);
    ASSERT_FALSE(result) << c.path;
    EXPECT_EQ(result.error().code, c.code) << c.path << ": " << result.error().message;
    EXPECT_THAT(result.error().message, HasSubstr(c.text)) << c.path;
  }
  auto big = repo.ReadFile("main", "big.bin", 1000);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
  EXPECT_THAT(big.error().message, HasSubstr("100000 bytes"));
  auto bad_commit = repo.ReadFile("nope", "stackyard.yaml", 1024);
  ASSERT_FALSE(bad_commit);
  EXPECT_EQ(bad_commit.error().code, ErrorCode::kNotFound);
}

TEST_F(BareRepositoryTest, StatReportsEachKind) {
  BareRepository repo = MirrorOf(source_);
  EXPECT_EQ(*repo.Stat("main", "stackyard.yaml"), EntryKind::kFile);
  EXPECT_EQ(*repo.Stat("main", "run.sh"), EntryKind::kFile);
  EXPECT_EQ(*repo.Stat("main", "web"), EntryKind::kDirectory);
  EXPECT_EQ(*repo.Stat("main", "web/"), EntryKind::kDirectory);
  EXPECT_EQ(*repo.Stat("main", "web/nested/deep"), EntryKind::kDirectory);
  EXPECT_EQ(*repo.Stat("main", "web/Dockerfile"), EntryKind::kFile);
  EXPECT_EQ(*repo.Stat("main", "link"), EntryKind::kSymlink);
  EXPECT_EQ(*repo.Stat("main", "vendor/lib"), EntryKind::kSubmodule);
  EXPECT_EQ(*repo.Stat("main", ""), EntryKind::kDirectory);
  EXPECT_EQ(*repo.Stat("main", "nope"), EntryKind::kMissing);
  EXPECT_EQ(*repo.Stat("main", "we"), EntryKind::kMissing);  // no prefix matching
  EXPECT_EQ(*repo.Stat("main", "feature.txt"), EntryKind::kMissing);
  EXPECT_EQ(*repo.Stat("feature", "feature.txt"), EntryKind::kFile);
  EXPECT_EQ(*repo.Stat(first_, "feature.txt"), EntryKind::kMissing);
  EXPECT_EQ(repo.Stat("main", "../x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(repo.Stat("-main", "x").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(BareRepositoryTest, ListTreeOneLevel) {
  BareRepository repo = MirrorOf(source_);
  auto root = repo.ListTree("main", "");
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_THAT(*root, ElementsAre(TreeEntry{"big.bin", EntryKind::kFile, false, 100'000},
                                 TreeEntry{"link", EntryKind::kSymlink, false, 3},
                                 TreeEntry{"run.sh", EntryKind::kFile, true, 10},
                                 TreeEntry{"stackyard.yaml", EntryKind::kFile, false, 11},
                                 TreeEntry{"vendor", EntryKind::kDirectory, false, 0},
                                 TreeEntry{"web", EntryKind::kDirectory, false, 0}));
  auto web = repo.ListTree("main", "web");
  ASSERT_TRUE(web) << web.error().message;
  EXPECT_THAT(*web, ElementsAre(TreeEntry{"Dockerfile", EntryKind::kFile, false, 13},
                                TreeEntry{"nested", EntryKind::kDirectory, false, 0}));
  auto deep = repo.ListTree(first_, "web/nested/deep/");
  ASSERT_TRUE(deep) << deep.error().message;
  EXPECT_THAT(*deep, ElementsAre(TreeEntry{"notes.txt", EntryKind::kFile, false, 5}));
  EXPECT_EQ(repo.ListTree("main", "nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repo.ListTree("main", "stackyard.yaml").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(repo.ListTree("main", "/").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(BareRepositoryTest, ResolveCommit) {
  BareRepository repo = MirrorOf(source_);
  EXPECT_EQ(*repo.ResolveCommit("refs/heads/main"), main_);
  EXPECT_EQ(*repo.ResolveCommit(first_), first_);
  EXPECT_EQ(*repo.ResolveCommit(first_.substr(0, 12)), first_);
  for (const char* unknown :
       {"nope", "feature/nope", "0000000000000000000000000000000000000000", "deadbeef"}) {
    auto result = repo.ResolveCommit(unknown);
    ASSERT_FALSE(result) << unknown;
    EXPECT_EQ(result.error().code, ErrorCode::kNotFound) << unknown;
    EXPECT_THAT(result.error().message, HasSubstr("no branch or commit")) << unknown;
  }
  for (const char* bad : {"-uhelp", "--output=/tmp/x", "main..feature", "main^", "main~1",
                          "HEAD@{1}", ":/First", "main:stackyard.yaml", "", "a b"}) {
    auto result = repo.ResolveCommit(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST_F(BareRepositoryTest, FetchTakesNewCommitsAndPrunesBranches) {
  BareRepository repo = MirrorOf("file://" + source_);
  WriteFile(source_, "stackyard.yaml", "version: 3\n");
  std::string third = CommitAll(source_, "Third commit", kTime3 + 100);
  Git(source_, {"branch", "--quiet", "-D", "feature"});
  Git(source_, {"branch", "--quiet", "hotfix", first_});
  ASSERT_TRUE(repo.Fetch("file://" + source_, kTimeout));
  auto branches = repo.Branches();
  ASSERT_TRUE(branches) << branches.error().message;
  ASSERT_EQ(branches->size(), 2u);
  EXPECT_EQ((*branches)[0].name, "hotfix");
  EXPECT_EQ((*branches)[0].commit, first_);
  EXPECT_EQ((*branches)[1].name, "main");
  EXPECT_EQ((*branches)[1].commit, third);
  EXPECT_EQ((*branches)[1].subject, "Third commit");
  EXPECT_EQ(*repo.ReadFile("main", "stackyard.yaml", 100), "version: 3\n");
  EXPECT_EQ(repo.ResolveCommit("feature").error().code, ErrorCode::kNotFound);

  // A force-push upstream (history rewritten) is taken over too.
  Git(source_, {"reset", "--quiet", "--hard", first_});
  ASSERT_TRUE(repo.Fetch(source_, kTimeout));
  EXPECT_EQ(*repo.ResolveCommit("main"), first_);
}

TEST_F(BareRepositoryTest, FetchFailureKeepsTheMirror) {
  BareRepository repo = MirrorOf(source_);
  Status status = repo.Fetch(source_dir_.File("gone"), kTimeout);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(status.error().message, HasSubstr("cannot fetch"));
  EXPECT_EQ(*repo.ResolveCommit("main"), main_);
  EXPECT_EQ(repo.Fetch("ext::sh -c true", kTimeout).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(BareRepositoryTest, MirrorFailuresLeaveNothingBehind) {
  std::string not_a_repo = source_dir_.File("plain");
  std::filesystem::create_directories(not_a_repo);
  struct Case {
    std::string url;
    ErrorCode code;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {not_a_repo, ErrorCode::kNotFound, "no Git repository"},
           {source_dir_.File("missing"), ErrorCode::kNotFound, "no Git repository"},
           {"file://" + source_dir_.File("missing"), ErrorCode::kNotFound, "no Git repository"},
           {"ext::sh -c touch% /tmp/pwned", ErrorCode::kInvalidArgument, "ext::"},
           {"--upload-pack=touch", ErrorCode::kInvalidArgument, "'-'"},
       }) {
    auto repo = BareRepository::Mirror(c.url, repos_.File("sub/mirror.git"), kTimeout);
    ASSERT_FALSE(repo) << c.url;
    EXPECT_EQ(repo.error().code, c.code) << c.url << ": " << repo.error().message;
    EXPECT_THAT(repo.error().message, HasSubstr(c.text)) << c.url;
    EXPECT_FALSE(std::filesystem::exists(repos_.File("sub/mirror.git")));
    if (std::filesystem::exists(repos_.File("sub"))) {
      EXPECT_THAT(DirEntries(repos_.File("sub")), IsEmpty()) << c.url;
    }
  }
}

TEST_F(BareRepositoryTest, MirrorRefusesExistingPath) {
  std::filesystem::create_directories(repos_.File("mirror.git"));
  auto repo = BareRepository::Mirror(source_, repos_.File("mirror.git"), kTimeout);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(DirEntries(repos_.path()), ElementsAre("mirror.git"));
}

TEST_F(BareRepositoryTest, InitThenPush) {
  auto repo = BareRepository::Init(repos_.File("hosted/app.git"));
  ASSERT_TRUE(repo) << repo.error().message;
  EXPECT_THAT(*repo->Branches(), IsEmpty());
  EXPECT_EQ(repo->ResolveCommit("main").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Git(repo->path(), {"symbolic-ref", "HEAD"}), "refs/heads/main");
  EXPECT_EQ(Git(repo->path(), {"config", "receive.denyNonFastForwards"}), "false");
  EXPECT_THAT(DirEntries(repos_.File("hosted")), ElementsAre("app.git"));

  std::string clone = source_dir_.File("clone");
  Git(source_dir_.path(), {"clone", "--quiet", "--", source_, clone});
  Git(clone, {"push", "--quiet", "--", repo->path(), "main", "origin/feature:refs/heads/feature"});
  auto branches = repo->Branches();
  ASSERT_TRUE(branches) << branches.error().message;
  ASSERT_EQ(branches->size(), 2u);
  EXPECT_EQ((*branches)[1].name, "main");
  EXPECT_EQ((*branches)[1].commit, main_);
  EXPECT_EQ(*repo->ReadFile("main", "stackyard.yaml", 100), "version: 2\n");

  // Force pushes are accepted.
  Git(clone, {"push", "--quiet", "--force", "--", repo->path(), first_ + ":refs/heads/main"});
  EXPECT_EQ(*repo->ResolveCommit("main"), first_);

  // A mirror of an empty hosted repository is empty too.
  auto empty = BareRepository::Init(repos_.File("empty.git"));
  ASSERT_TRUE(empty) << empty.error().message;
  auto mirror = BareRepository::Mirror(empty->path(), repos_.File("empty-mirror.git"), kTimeout);
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_THAT(*mirror->Branches(), IsEmpty());

  EXPECT_EQ(BareRepository::Init(repo->path()).error().code, ErrorCode::kAlreadyExists);
}

TEST_F(BareRepositoryTest, OpenChecksForABareRepository) {
  BareRepository mirror = MirrorOf(source_);
  auto opened = BareRepository::Open(mirror.path());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened->ResolveCommit("main"), main_);

  EXPECT_EQ(BareRepository::Open(repos_.File("missing")).error().code, ErrorCode::kNotFound);
  auto work_tree = BareRepository::Open(source_);
  ASSERT_FALSE(work_tree);
  EXPECT_EQ(work_tree.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(work_tree.error().message, HasSubstr("not a Git repository"));
  auto dot_git = BareRepository::Open(source_ + "/.git");
  ASSERT_FALSE(dot_git);
  EXPECT_EQ(dot_git.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(dot_git.error().message, HasSubstr("not a bare one"));
  // A plain directory inside a repository is not that repository: no upward search.
  EXPECT_EQ(BareRepository::Open(source_ + "/web").error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace yard::git
