// SyncCheckout and InspectCheckout against the real git: a project repository, a code volume
// cloned from it with CloneBranch, pushes to the project, and everything a person or a
// container may have done in the code volume meanwhile.

#include "controller/code_sync.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "base/fs.h"
#include "base/process.h"
#include "git/bare_repository.h"
#include "git/git_command.h"
#include "git/test_repo.h"
#include "testing/temp_dir.h"

namespace yard::controller {
namespace {

using git::testing::CommitAll;
using git::testing::Git;
using git::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr std::chrono::seconds kTimeout{60};
constexpr uid_t kOtherUser = 1000;

// A git command that may fail (a rebase that stops on a conflict); returns its exit code.
int GitStatus(const std::string& dir, const std::vector<std::string>& args) {
  ProcessOptions options;
  options.argv = {"git", "-C", dir, "-c", "user.name=Dev", "-c", "user.email=dev@example.com"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = git::GitEnvironment();
  options.clear_env = true;
  options.timeout = std::chrono::seconds(60);
  auto result = RunProcess(options);
  EXPECT_TRUE(result) << result.error().message;
  return result ? result->exit_code : -1;
}

std::string ReadText(const std::string& path) {
  auto text = fs::ReadFile(path);
  return text ? *text : "<" + text.error().message + ">";
}

// Paths under `dir` owned by `uid`.
std::vector<std::string> OwnedBy(const std::string& dir, uid_t uid) {
  std::vector<std::string> owned;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat info {};
    if (::lstat(entry.path().c_str(), &info) == 0 && info.st_uid == uid) {
      owned.push_back(entry.path().string());
    }
  }
  return owned;
}

class CodeSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    git::testing::InitSource(source_);
    WriteFile(source_, "app.py", "print('one')\n");
    WriteFile(source_, ".gitignore", ".env\n__pycache__/\n");
    WriteFile(source_, "lib/util.py", "x = 1\n");
    WriteFile(source_, "run.sh", "#!/bin/sh\n");
    std::filesystem::permissions(source_ + "/run.sh", std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
    std::filesystem::create_symlink("app.py", source_ + "/link.py");
    first_ = CommitAll(source_, "First", time_);
    auto origin = git::BareRepository::Init(dir_.File("project.git"));
    ASSERT_TRUE(origin) << origin.error().message;
    origin_.emplace(std::move(*origin));
    Push();
    auto cloned = origin_->CloneBranch("main", code_, kTimeout);
    ASSERT_TRUE(cloned) << cloned.error().message;
  }

  // Commits `content` at `path` in the source repository and pushes it to the project.
  std::string PushChange(const std::string& path, const std::string& content,
                         const std::string& subject = "Change") {
    WriteFile(source_, path, content);
    time_ += 100;
    std::string commit = CommitAll(source_, subject, time_);
    Push();
    return commit;
  }

  void Push(bool force = false) {
    std::vector<std::string> args = {"push", "--quiet"};
    if (force) args.push_back("--force");
    args.insert(args.end(), {origin_->path(), "main"});
    Git(source_, args);
  }

  // A commit in the code volume, as a developer in the container would make it.
  std::string LocalCommit(const std::string& path, const std::string& content) {
    WriteFile(code_, path, content);
    time_ += 100;
    return CommitAll(code_, "Local work", time_, "Dev");
  }

  std::optional<SyncOutcome> Sync(const std::string& commit) {
    auto outcome = SyncCheckout(code_, *origin_, "main", commit, kTimeout);
    EXPECT_TRUE(outcome) << outcome.error().message;
    if (!outcome) return std::nullopt;
    return *outcome;
  }

  std::string CodeHead() { return Git(code_, {"-c", "safe.directory=*", "rev-parse", "HEAD"}); }
  std::string CodeFile(const std::string& path) { return ReadText(code_ + "/" + path); }
  std::string Marker(const std::string& name) { return dir_.File("marker-" + name); }

  yard::testing::TempDir dir_;
  std::string source_ = dir_.File("source");
  std::string code_ = dir_.File("volumes/code");
  std::optional<git::BareRepository> origin_;
  std::string first_;
  int64_t time_ = 1'700'000'000;
};

TEST_F(CodeSyncTest, CleanCheckoutBehindIsFastForwarded) {
  WriteFile(code_, "notes.txt", "untracked, not in the way\n");
  WriteFile(source_, "app.py", "print('two')\n");
  WriteFile(source_, "new/feature.py", "y = 2\n");
  std::filesystem::remove(source_ + "/lib/util.py");
  time_ += 100;
  std::string second = CommitAll(source_, "Second", time_);
  Push();

  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kFastForwarded);
  EXPECT_EQ(outcome->summary,
            "fast-forwarded to " + second.substr(0, 7) + " (1 new commit from main)");
  EXPECT_EQ(outcome->state.head, second);
  EXPECT_EQ(outcome->state.behind, 0);
  EXPECT_EQ(outcome->state.ahead, 0);
  EXPECT_THAT(outcome->state.uncommitted, IsEmpty());
  EXPECT_EQ(CodeHead(), second);
  EXPECT_EQ(CodeFile("app.py"), "print('two')\n");
  EXPECT_EQ(CodeFile("new/feature.py"), "y = 2\n");
  EXPECT_FALSE(fs::Exists(code_ + "/lib/util.py"));
  EXPECT_EQ(CodeFile("notes.txt"), "untracked, not in the way\n");
  // git agrees that the checkout is clean: index and files both at the new commit.
  EXPECT_EQ(Git(code_, {"status", "--porcelain", "--untracked-files=no"}), "");
  EXPECT_EQ(Git(code_, {"rev-parse", "refs/remotes/origin/main"}), second);
}

TEST_F(CodeSyncTest, NothingNewIsUpToDate) {
  auto outcome = Sync(first_);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kUpToDate);
  EXPECT_EQ(outcome->summary, "up to date with main");
  EXPECT_EQ(outcome->state.head, first_);
  EXPECT_EQ(outcome->state.branch, "main");
  EXPECT_EQ(outcome->state.upstream, first_);
}

TEST_F(CodeSyncTest, FastForwardsToAnAncestorOfTheBranchHead) {
  std::string second = PushChange("app.py", "print('two')\n");
  std::string third = PushChange("app.py", "print('three')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kFastForwarded);
  EXPECT_EQ(CodeHead(), second);
  EXPECT_EQ(CodeFile("app.py"), "print('two')\n");
  // The remote-tracking ref is the branch's head, as `git status` in the container expects.
  EXPECT_EQ(Git(code_, {"rev-parse", "refs/remotes/origin/main"}), third);
}

TEST_F(CodeSyncTest, RefusesACommitThatIsNotOnTheBranch) {
  Git(source_, {"checkout", "--quiet", "-b", "other"});
  std::string other = PushChange("other.txt", "x\n");
  Git(source_, {"push", "--quiet", origin_->path(), "other"});
  auto outcome = SyncCheckout(code_, *origin_, "main", other, kTimeout);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(CodeHead(), first_);

  EXPECT_EQ(SyncCheckout(code_, *origin_, "main", "HEAD", kTimeout).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(SyncCheckout(code_, *origin_, "--upload-pack=x", first_, kTimeout).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(SyncCheckout(code_, *origin_, "gone", first_, kTimeout).error().code,
            ErrorCode::kNotFound);
}

TEST_F(CodeSyncTest, UntrackedFileInTheWayIsKept) {
  WriteFile(code_, "new.txt", "mine\n");
  std::string second = PushChange("new.txt", "theirs\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_THAT(outcome->state.in_the_way, ElementsAre("new.txt"));
  EXPECT_EQ(outcome->summary,
            "the code volume has diverged from main: 1 behind, untracked files in the way "
            "(new.txt)");
  EXPECT_EQ(CodeFile("new.txt"), "mine\n");
  EXPECT_EQ(CodeHead(), first_);
}

TEST_F(CodeSyncTest, IgnoredFileInTheWayIsKept) {
  // git merge would replace an ignored file silently; a local .env is someone's secrets.
  WriteFile(code_, ".env", "TOKEN=local\n");
  WriteFile(source_, ".env", "TOKEN=committed\n");
  Git(source_, {"add", "--force", ".env"});
  std::string second = CommitAll(source_, "Add .env", time_ + 100);
  Push();
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_THAT(outcome->state.in_the_way, ElementsAre(".env"));
  EXPECT_EQ(CodeFile(".env"), "TOKEN=local\n");
  EXPECT_EQ(CodeHead(), first_);
}

TEST_F(CodeSyncTest, LocalEditsAreKept) {
  WriteFile(code_, "app.py", "print('edited in the container')\n");
  std::filesystem::remove(code_ + "/lib/util.py");
  std::string second = PushChange("app.py", "print('two')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_THAT(outcome->state.uncommitted, ElementsAre("app.py", "lib/util.py"));
  EXPECT_EQ(outcome->state.uncommitted_total, 2);
  EXPECT_EQ(outcome->summary,
            "the code volume has diverged from main: 1 behind, 2 uncommitted files (app.py, "
            "lib/util.py)");
  EXPECT_EQ(CodeFile("app.py"), "print('edited in the container')\n");
  EXPECT_EQ(CodeHead(), first_);
}

TEST_F(CodeSyncTest, StagedChangesCount) {
  WriteFile(code_, "staged.txt", "new\n");
  Git(code_, {"add", "staged.txt"});
  std::string second = PushChange("app.py", "print('two')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_THAT(outcome->state.uncommitted, ElementsAre("staged.txt"));
  EXPECT_EQ(Git(code_, {"diff", "--cached", "--name-only"}), "staged.txt");
}

TEST_F(CodeSyncTest, TouchedButUnchangedFilesAreNotChanges) {
  // Rewritten with the same content and a new mtime: git's stat data no longer matches.
  WriteFile(code_, "app.py", "print('one')\n");
  std::filesystem::last_write_time(
      code_ + "/app.py", std::filesystem::file_time_type::clock::now() + std::chrono::hours(1));
  std::string second = PushChange("lib/util.py", "x = 2\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kFastForwarded) << outcome->summary;
  EXPECT_EQ(CodeFile("lib/util.py"), "x = 2\n");
}

TEST_F(CodeSyncTest, ModeAndSymlinkChangesCount) {
  auto clean = InspectCheckout(code_, "main", "", kTimeout);
  ASSERT_TRUE(clean) << clean.error().message;
  EXPECT_THAT(clean->uncommitted, IsEmpty());  // the executable and the symlink hash right

  std::filesystem::permissions(code_ + "/run.sh", std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::remove);
  std::filesystem::remove(code_ + "/link.py");
  std::filesystem::create_symlink("lib/util.py", code_ + "/link.py");
  auto changed = InspectCheckout(code_, "main", "", kTimeout);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_THAT(changed->uncommitted, ElementsAre("link.py", "run.sh"));
}

TEST_F(CodeSyncTest, LocalCommitAndNewCommitsHaveDiverged) {
  std::string local = LocalCommit("app.py", "print('local')\n");
  std::string second = PushChange("lib/util.py", "x = 2\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_EQ(outcome->state.ahead, 1);
  EXPECT_EQ(outcome->state.behind, 1);
  EXPECT_EQ(outcome->summary, "the code volume has diverged from main: 1 commit ahead, 1 behind");
  EXPECT_EQ(CodeHead(), local);
  EXPECT_EQ(CodeFile("lib/util.py"), "x = 1\n");
  // The fetch happened: the developer can merge or rebase from inside the container.
  EXPECT_EQ(Git(code_, {"rev-parse", "refs/remotes/origin/main"}), second);
}

TEST_F(CodeSyncTest, AheadOnlyIsUpToDateAndSaysSo) {
  std::string local = LocalCommit("app.py", "print('local')\n");
  auto outcome = Sync(first_);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kUpToDate);
  EXPECT_EQ(outcome->state.ahead, 1);
  EXPECT_EQ(outcome->summary, "up to date with main; 1 local commit not on main");
  EXPECT_EQ(CodeHead(), local);
}

TEST_F(CodeSyncTest, AnotherBranchIsLeftAlone) {
  Git(code_, {"checkout", "--quiet", "-b", "experiment"});
  std::string second = PushChange("app.py", "print('two')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_EQ(outcome->state.branch, "experiment");
  EXPECT_EQ(outcome->summary,
            "the code volume is on branch 'experiment', not on main: it is not updated");
  EXPECT_EQ(CodeHead(), first_);
  EXPECT_EQ(Git(code_, {"rev-parse", "refs/heads/main"}), first_);
  EXPECT_EQ(CodeFile("app.py"), "print('one')\n");

  Git(code_, {"checkout", "--quiet", "--detach"});
  outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_EQ(outcome->state.branch, "");
  EXPECT_EQ(outcome->summary, "the code volume is at a detached commit (" + first_.substr(0, 7) +
                                  "), not on main: it is not updated");
}

TEST_F(CodeSyncTest, ForcePushedBranchHasDiverged) {
  std::string second = PushChange("app.py", "print('two')\n");
  ASSERT_TRUE(Sync(second));
  ASSERT_EQ(CodeHead(), second);
  Git(source_, {"reset", "--quiet", "--hard", first_});
  WriteFile(source_, "app.py", "print('rewritten')\n");
  std::string rewritten = CommitAll(source_, "Rewritten", time_ + 100);
  Push(/*force=*/true);
  auto outcome = Sync(rewritten);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_EQ(outcome->state.ahead, 1);
  EXPECT_EQ(outcome->state.behind, 1);
  EXPECT_EQ(CodeHead(), second);
  EXPECT_EQ(CodeFile("app.py"), "print('two')\n");
}

TEST_F(CodeSyncTest, MergeInProgressIsLeftAlone) {
  Git(code_, {"checkout", "--quiet", "-b", "side"});
  LocalCommit("side.txt", "side\n");
  Git(code_, {"checkout", "--quiet", "main"});
  Git(code_, {"merge", "--quiet", "--no-commit", "--no-ff", "side"});
  ASSERT_TRUE(fs::Exists(code_ + "/.git/MERGE_HEAD"));
  std::string second = PushChange("app.py", "print('two')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_EQ(outcome->state.blocked_by, "a merge is in progress");
  EXPECT_THAT(outcome->summary, StartsWith("the code volume has diverged from main: a merge is in "
                                           "progress, 1 behind, 1 uncommitted file (side.txt)"));
  EXPECT_TRUE(fs::Exists(code_ + "/.git/MERGE_HEAD"));
  EXPECT_EQ(CodeHead(), first_);
  EXPECT_EQ(CodeFile("app.py"), "print('one')\n");
}

TEST_F(CodeSyncTest, RebaseInProgressIsLeftAlone) {
  LocalCommit("app.py", "print('local')\n");
  PushChange("app.py", "print('remote')\n");
  Git(code_, {"fetch", "--quiet", "origin"});
  ASSERT_NE(GitStatus(code_, {"rebase", "--quiet", "origin/main"}), 0);  // stops on a conflict
  ASSERT_TRUE(fs::Exists(code_ + "/.git/rebase-merge"));
  std::string conflicted = CodeFile("app.py");
  std::string head = CodeHead();
  std::string third = PushChange("lib/util.py", "x = 3\n");
  auto outcome = Sync(third);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_EQ(outcome->state.blocked_by, "a rebase is in progress");
  EXPECT_THAT(outcome->state.uncommitted, ElementsAre("app.py"));  // unmerged
  EXPECT_TRUE(fs::Exists(code_ + "/.git/rebase-merge"));
  EXPECT_EQ(CodeFile("app.py"), conflicted);
  EXPECT_EQ(CodeHead(), head);
  EXPECT_EQ(CodeFile("lib/util.py"), "x = 1\n");
}

TEST_F(CodeSyncTest, CheckoutOwnedByAnotherUserStaysTheirs) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  // The container's user must reach the checkout to commit in it, as in a real volume.
  std::filesystem::permissions(
      dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                       std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                       std::filesystem::perms::others_exec);
  ASSERT_EQ(::chown(dir_.File("volumes").c_str(), kOtherUser, kOtherUser), 0);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(code_)) {
    ASSERT_EQ(::lchown(entry.path().c_str(), kOtherUser, kOtherUser), 0);
  }
  ASSERT_EQ(::chown(code_.c_str(), kOtherUser, kOtherUser), 0);
  WriteFile(source_, "app.py", "print('two')\n");
  WriteFile(source_, "deep/new/dir/file.py", "z = 1\n");
  std::string second = CommitAll(source_, "Second", time_ + 100);
  Push();

  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kFastForwarded) << outcome->summary;
  EXPECT_EQ(CodeFile("deep/new/dir/file.py"), "z = 1\n");
  EXPECT_THAT(OwnedBy(code_, 0), IsEmpty());

  // The container's user can go on committing: new objects go into directories it owns.
  WriteFile(code_, "app.py", "print('three')\n");
  ProcessOptions options;
  options.argv = {"setpriv", "--reuid=1000",  "--regid=1000", "--clear-groups",
                  "--",      "git",           "-C",           code_,
                  "-c",      "user.name=Dev", "-c",           "user.email=dev@example.com",
                  "commit",  "--quiet",       "-am",          "From the container"};
  options.env = git::GitEnvironment();
  options.clear_env = true;
  options.timeout = std::chrono::seconds(60);
  auto commit = RunProcess(options);
  ASSERT_TRUE(commit) << commit.error().message;
  EXPECT_EQ(commit->exit_code, 0) << commit->stderr_data;
}

TEST_F(CodeSyncTest, HooksAndConfiguredCommandsInTheCheckoutDoNotRun) {
  // Everything under .git is the container's: none of it may run on the host.
  for (std::string hook : {"reference-transaction", "post-merge", "post-checkout",
                           "post-index-change", "pre-auto-gc", "post-rewrite"}) {
    WriteFile(code_, ".git/hooks/" + hook, "#!/bin/sh\ntouch " + Marker(hook) + "\n");
    std::filesystem::permissions(code_ + "/.git/hooks/" + hook, std::filesystem::perms::owner_all);
  }
  std::string alternate = dir_.File("alternate.git");
  ASSERT_TRUE(git::BareRepository::Init(alternate));
  WriteFile(code_, ".git/objects/info/alternates", alternate + "/objects\n");
  Git(code_, {"config", "core.alternateRefsCommand", "touch " + Marker("alternate")});
  Git(code_, {"config", "core.fsmonitor", "touch " + Marker("fsmonitor")});
  Git(code_, {"config", "remote.origin.uploadpack", "touch " + Marker("upload") + "; false"});
  Git(code_, {"config", "remote.origin.vcs", "evil"});
  Git(code_, {"config", "merge.verifySignatures", "true"});
  Git(code_, {"config", "gpg.program", "touch " + Marker("gpg")});
  Git(code_, {"config", "gc.auto", "1"});
  std::string second = PushChange("app.py", "print('two')\n");

  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kFastForwarded) << outcome->summary;
  EXPECT_EQ(CodeFile("app.py"), "print('two')\n");
  EXPECT_THAT(git::testing::DirEntries(dir_.path()),
              ElementsAre("alternate.git", "project.git", "source", "volumes"));
}

TEST_F(CodeSyncTest, ContentFiltersAreNotRun) {
  Git(code_, {"config", "filter.evil.clean", "touch " + Marker("clean") + "; cat"});
  Git(code_, {"config", "filter.evil.smudge", "touch " + Marker("smudge") + "; cat"});
  WriteFile(code_, ".git/info/attributes", "* filter=evil\n");
  // Racily clean: the index is no newer than the files, which makes git compare contents
  // (through the clean filter) in status and diff-files.
  std::filesystem::last_write_time(
      code_ + "/.git/index",
      std::filesystem::file_time_type::clock::now() - std::chrono::hours(24));
  auto state = InspectCheckout(code_, "main", "", kTimeout);
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_THAT(state->uncommitted, IsEmpty());

  std::string second = PushChange("app.py", "print('two')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kDiverged);
  EXPECT_THAT(outcome->state.blocked_by, HasSubstr("content filters (evil)"));
  EXPECT_EQ(CodeHead(), first_);
  EXPECT_FALSE(fs::Exists(Marker("clean")));
  EXPECT_FALSE(fs::Exists(Marker("smudge")));
}

TEST_F(CodeSyncTest, UrlRewritesInTheCheckoutCannotRedirectTheFetch) {
  // Another project's repository on the same machine, which the container must not read.
  std::string secret_source = dir_.File("secret-source");
  git::testing::InitSource(secret_source);
  WriteFile(secret_source, "secret.txt", "another project's code\n");
  std::string secret = CommitAll(secret_source, "Secret", time_);
  auto other = git::BareRepository::Init(dir_.File("other.git"));
  ASSERT_TRUE(other);
  Git(secret_source, {"push", "--quiet", other->path(), "main"});
  Git(code_, {"config", "url." + other->path() + ".insteadOf", origin_->path()});
  Git(code_, {"config", "--add", "url." + other->path() + ".insteadOf", "/"});

  std::string second = PushChange("app.py", "print('two')\n");
  auto outcome = Sync(second);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result, SyncResult::kFastForwarded) << outcome->summary;
  EXPECT_NE(GitStatus(code_, {"cat-file", "-e", secret + "^{commit}"}), 0);
}

TEST_F(CodeSyncTest, InspectDoesNotFetch) {
  std::string second = PushChange("app.py", "print('two')\n");
  auto state = InspectCheckout(code_, "main", "", kTimeout);
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->behind, 0);  // against what the clone fetched
  EXPECT_EQ(state->upstream, first_);
  auto missing = InspectCheckout(code_, "main", second, kTimeout);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);

  ASSERT_TRUE(Sync(first_));  // fetches, nothing to bring in at first_
  state = InspectCheckout(code_, "main", second, kTimeout);
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->behind, 1);
  EXPECT_EQ(SummarizeCodeState(*state, "main"), "1 commit behind main");
  EXPECT_EQ(CodeHead(), first_);
}

TEST_F(CodeSyncTest, NotACheckout) {
  auto missing = InspectCheckout(dir_.File("absent"), "main", "", kTimeout);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  std::string linked = dir_.File("linked");
  std::filesystem::create_directories(linked);
  std::filesystem::create_symlink(code_ + "/.git", linked + "/.git");
  auto symlinked = SyncCheckout(linked, *origin_, "main", first_, kTimeout);
  ASSERT_FALSE(symlinked);
  EXPECT_EQ(symlinked.error().code, ErrorCode::kFailedPrecondition);
}

TEST(CodeSyncSummaryTest, SaysHowFarItHasDiverged) {
  CodeState state{.head = "0123456789abcdef",
                  .branch = "main",
                  .ahead = 2,
                  .behind = 3,
                  .uncommitted = {"app.py", "b.py", "c.py", "d.py"},
                  .uncommitted_total = 4};
  EXPECT_EQ(DecideSync(state, "main"), SyncResult::kDiverged);
  EXPECT_EQ(SummarizeCodeState(state, "main"),
            "the code volume has diverged from main: 2 commits ahead, 3 behind, 4 uncommitted "
            "files (app.py, b.py, c.py, ...)");

  state.ahead = 0;
  state.uncommitted = {"app.py"};
  state.uncommitted_total = 1;
  EXPECT_EQ(SummarizeCodeState(state, "main"),
            "the code volume has diverged from main: 3 behind, 1 uncommitted file (app.py)");

  state.behind = 0;
  EXPECT_EQ(DecideSync(state, "main"), SyncResult::kUpToDate);
  EXPECT_EQ(SummarizeCodeState(state, "main"), "up to date with main; 1 uncommitted file (app.py)");

  CodeState clean{.head = "0123456789abcdef", .branch = "main", .behind = 2};
  EXPECT_EQ(DecideSync(clean, "main"), SyncResult::kFastForwarded);
  EXPECT_EQ(SummarizeCodeState(clean, "main"), "2 commits behind main");
  clean.blocked_by = "a rebase is in progress";
  EXPECT_EQ(DecideSync(clean, "main"), SyncResult::kDiverged);
  EXPECT_EQ(SummarizeCodeState(clean, "main"),
            "the code volume has diverged from main: a rebase is in progress, 2 behind");
  EXPECT_EQ(SummarizeCodeState(clean, "dev"),
            "the code volume is on branch 'main', not on dev (a rebase is in progress): it is "
            "not updated");
}

}  // namespace
}  // namespace yard::controller
