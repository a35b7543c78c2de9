#include "git/hooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "base/fs.h"
#include "base/process.h"
#include "git/git_command.h"
#include "git/test_repo.h"
#include "testing/temp_dir.h"

namespace yard::git {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kZero(40, '0');
const std::string kOld(40, 'a');
const std::string kNew(40, 'b');

RefUpdate Update(std::string old_commit, std::string new_commit, std::string ref) {
  return RefUpdate{std::move(old_commit), std::move(new_commit), std::move(ref)};
}

// An ancestry oracle that records whether it was asked.
struct Ancestry {
  Result<bool> answer = true;
  int calls = 0;
  IsAncestor Oracle() {
    return [this](const std::string&, const std::string&) -> Result<bool> {
      ++calls;
      return answer;
    };
  }
};

TEST(BranchPatternTest, AcceptsNamesAndGlobs) {
  for (std::string_view pattern :
       {"main", "release/*", "release/**", "v?", "feature/[a-c]*", "a.b", "UPPER_case-1"}) {
    EXPECT_TRUE(ValidateBranchPattern(pattern)) << pattern;
  }
}

TEST(BranchPatternTest, RefusesWhatGitWouldNotNameABranch) {
  for (std::string_view pattern :
       {"", "has space", "tab\tx", "a..b", "a//b", "-main", "/main", "main/", "main.", "main.lock",
        "a~1", "a^", "a:b", "a\\b", "ctl\x01"}) {
    auto status = ValidateBranchPattern(pattern);
    ASSERT_FALSE(status) << pattern;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(ValidateBranchPattern(std::string(201, 'a')));
  EXPECT_TRUE(ValidateBranchPattern(std::string(200, 'a')));
}

TEST(RefUpdateTest, ParsesCompleteLinesOnly) {
  std::string text = kZero + " " + kNew + " refs/heads/main\n" +  //
                     kOld + " " + kZero + " refs/heads/old\n" +   //
                     "garbage line\n" +                           //
                     kOld + " " + kNew + " refs/heads/cut";       // no newline: cut short
  auto updates = ParseRefUpdates(text);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_TRUE(updates[0].created());
  EXPECT_FALSE(updates[0].deleted());
  EXPECT_EQ(updates[0].branch(), "main");
  EXPECT_TRUE(updates[1].deleted());
  EXPECT_EQ(updates[1].ref, "refs/heads/old");
  EXPECT_EQ(Update(kOld, kNew, "refs/tags/v1").branch(), std::nullopt);
  EXPECT_EQ(Update(kOld, kNew, "refs/heads/").branch(), std::nullopt);
}

TEST(CheckRefUpdateTest, GlobsStayWithinASegmentUnlessDoubled) {
  BranchProtection protection{.patterns = {"main", "release/*", "hotfix/**"}};
  auto pattern = [&](const std::string& ref) {
    return ProtectingPattern(protection, Update(kOld, kNew, ref));
  };
  EXPECT_EQ(pattern("refs/heads/main"), "main");
  EXPECT_EQ(pattern("refs/heads/release/1.0"), "release/*");
  EXPECT_EQ(pattern("refs/heads/release/1.0/fix"), std::nullopt);
  EXPECT_EQ(pattern("refs/heads/hotfix/a/b"), "hotfix/**");
  EXPECT_EQ(pattern("refs/heads/mainline"), std::nullopt);
  EXPECT_EQ(pattern("refs/tags/main"), std::nullopt);
  EXPECT_EQ(pattern("refs/heads/feature/main"), std::nullopt);
}

TEST(CheckRefUpdateTest, RefusesForcePushesToProtectedBranches) {
  BranchProtection protection{.patterns = {"main", "release/*"}};
  Ancestry ancestry;
  // A fast-forward passes; the oracle was asked.
  EXPECT_TRUE(CheckRefUpdate(protection, Update(kOld, kNew, "refs/heads/main"), ancestry.Oracle()));
  EXPECT_EQ(ancestry.calls, 1);
  ancestry.answer = false;
  Status forced =
      CheckRefUpdate(protection, Update(kOld, kNew, "refs/heads/main"), ancestry.Oracle());
  ASSERT_FALSE(forced);
  EXPECT_EQ(forced.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(forced.error().message, "refusing a force-push to protected branch main");
  Status by_glob =
      CheckRefUpdate(protection, Update(kOld, kNew, "refs/heads/release/2"), ancestry.Oracle());
  ASSERT_FALSE(by_glob);
  EXPECT_EQ(by_glob.error().message,
            "refusing a force-push to protected branch release/2 (protected by 'release/*')");
  // Unprotected branches and tags may be rewritten; the oracle is not even asked.
  int calls = ancestry.calls;
  EXPECT_TRUE(CheckRefUpdate(protection, Update(kOld, kNew, "refs/heads/dev"), ancestry.Oracle()));
  EXPECT_TRUE(CheckRefUpdate(protection, Update(kOld, kNew, "refs/tags/main"), ancestry.Oracle()));
  // Creating a protected branch is no force-push.
  EXPECT_TRUE(
      CheckRefUpdate(protection, Update(kZero, kNew, "refs/heads/main"), ancestry.Oracle()));
  EXPECT_EQ(ancestry.calls, calls);
}

TEST(CheckRefUpdateTest, AllowsForcePushesWhenTheProjectSaysSo) {
  BranchProtection protection{.patterns = {"main"}, .deny_force_push = false};
  Ancestry ancestry;
  ancestry.answer = false;
  EXPECT_TRUE(CheckRefUpdate(protection, Update(kOld, kNew, "refs/heads/main"), ancestry.Oracle()));
  EXPECT_EQ(ancestry.calls, 0);
}

TEST(CheckRefUpdateTest, DeletionFollowsDenyDelete) {
  Ancestry ancestry;
  BranchProtection protection{.patterns = {"main"}};
  Status deleted =
      CheckRefUpdate(protection, Update(kOld, kZero, "refs/heads/main"), ancestry.Oracle());
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().message, "refusing to delete protected branch main");
  protection.deny_delete = false;
  EXPECT_TRUE(
      CheckRefUpdate(protection, Update(kOld, kZero, "refs/heads/main"), ancestry.Oracle()));
  EXPECT_TRUE(CheckRefUpdate(BranchProtection{.patterns = {"main"}},
                             Update(kOld, kZero, "refs/heads/dev"), ancestry.Oracle()));
  EXPECT_EQ(ancestry.calls, 0);
}

TEST(CheckRefUpdateTest, AnUnanswerableAncestryQuestionRefuses) {
  Ancestry ancestry;
  ancestry.answer = Unexpected(ErrorCode::kInternal, "git merge-base: bad object");
  Status status = CheckRefUpdate(BranchProtection{.patterns = {"main"}},
                                 Update(kOld, kNew, "refs/heads/main"), ancestry.Oracle());
  ASSERT_FALSE(status);
  EXPECT_THAT(status.error().message, HasSubstr("bad object"));
}

TEST(ProtectionEnvironmentTest, CarriesTheSettings) {
  auto env =
      ProtectionEnvironment({.patterns = {"main", "release/*"}, .deny_delete = false}, "shop");
  EXPECT_EQ(env["YARD_PROTECTED_BRANCHES"], R"(["main","release/*"])");
  EXPECT_EQ(env["YARD_DENY_FORCE_PUSH"], "1");
  EXPECT_EQ(env["YARD_DENY_DELETE"], "0");
  EXPECT_EQ(env["YARD_PROJECT"], "shop");
}

TEST(WriteHooksTest, WritesExecutableScripts) {
  yard::testing::TempDir dir;
  std::string hooks = dir.File("git/hooks");
  ASSERT_TRUE(WriteHooks(hooks, "/opt/it's here/yard"));
  for (std::string name : {"pre-receive", "post-receive"}) {
    std::string script = MUST(fs::ReadFile(hooks + "/" + name));
    EXPECT_EQ(script,
              "#!/bin/sh\n# Written by yard at every start: changes here are lost.\n"
              "exec '/opt/it'\\''s here/yard' internal git-hook " +
                  name + "\n");
    struct stat info;
    ASSERT_EQ(stat((hooks + "/" + name).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0755u);
  }
  // Again (every start): replaced, not refused.
  ASSERT_TRUE(WriteHooks(hooks, "/usr/bin/yard"));
  EXPECT_THAT(MUST(fs::ReadFile(hooks + "/pre-receive")), HasSubstr("exec '/usr/bin/yard'"));
}

TEST(RunHookTest, UnknownHook) {
  std::istringstream input("");
  std::ostringstream err;
  EXPECT_EQ(RunHook("update", input, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("unknown git hook"));
}

// Real git: pushes through receive-pack with the hooks, as the SSH gateway runs it.
class HooksPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteHooks(hooks_, YARD_GIT_HOOK_RUNNER));
    testing::Git(dir_.path(), {"init", "--quiet", "--bare", bare_});
    testing::InitSource(source_);
    testing::WriteFile(source_, "README", "one\n");
    first_ = testing::CommitAll(source_, "one", 1'700'000'000);
    testing::WriteFile(source_, "README", "two\n");
    second_ = testing::CommitAll(source_, "two", 1'700'000'100);
  }

  // `git push ARGS` from the source repository into the bare one, through the hooks.
  ProcessResult Push(const std::vector<std::string>& args, const BranchProtection& protection) {
    ProcessOptions options;
    options.argv = {
        "git",  "-C",          source_,
        "push", "--porcelain", "--receive-pack=git -c core.hooksPath=" + hooks_ + " receive-pack",
        bare_};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = GitEnvironment();
    for (auto& [name, value] : ProtectionEnvironment(protection, "shop")) options.env[name] = value;
    options.env[kPushReportVariable] = report_;
    options.clear_env = true;
    options.timeout = std::chrono::seconds(60);
    return MUST(RunProcess(options));
  }

  std::string Head(const std::string& branch) {
    auto result = MUST(RunGit(
        {.args = {"rev-parse", "--verify", "--quiet", "refs/heads/" + branch}, .git_dir = bare_}));
    std::string out = result.stdout_data;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::string Report() { return fs::ReadFile(report_).value_or(""); }

  yard::testing::TempDir dir_;
  std::string hooks_ = dir_.File("hooks");
  std::string bare_ = dir_.File("shop.git");
  std::string source_ = dir_.File("source");
  std::string report_ = dir_.File("push-report");
  std::string first_;
  std::string second_;
  BranchProtection main_protected_{.patterns = {"main"}};
};

TEST_F(HooksPushTest, RecordsPushesAndRefusesForcePushesAndDeletions) {
  // A new branch, then a fast-forward: both pass, and post-receive reports them.
  ProcessResult created = Push({first_ + ":refs/heads/main"}, main_protected_);
  ASSERT_TRUE(created.Succeeded()) << created.stderr_data;
  ProcessResult forward = Push({second_ + ":refs/heads/main"}, main_protected_);
  ASSERT_TRUE(forward.Succeeded()) << forward.stderr_data;
  EXPECT_EQ(Head("main"), second_);
  EXPECT_EQ(Report(), kZero + " " + first_ + " refs/heads/main\n" + first_ + " " + second_ +
                          " refs/heads/main\n");

  // Rewriting main is refused: the pushed commit is only in the quarantine, which the hook's
  // git call must see to answer at all.
  testing::Git(source_, {"reset", "--quiet", "--hard", first_});
  testing::WriteFile(source_, "README", "rewritten\n");
  std::string rewritten = testing::CommitAll(source_, "rewritten", 1'700'000'200);
  ProcessResult forced = Push({"--force", rewritten + ":refs/heads/main"}, main_protected_);
  EXPECT_FALSE(forced.Succeeded());
  EXPECT_THAT(forced.stderr_data,
              HasSubstr("remote: yard: refusing a force-push to protected branch main"));
  EXPECT_THAT(forced.stderr_data,
              HasSubstr("`yard projects protect shop 'main' --allow-force-push`"));
  EXPECT_THAT(forced.stdout_data, HasSubstr("pre-receive hook declined"));
  EXPECT_THAT(forced.stderr_data, Not(HasSubstr("Not a valid commit name")));
  EXPECT_EQ(Head("main"), second_);

  ProcessResult deleted = Push({":refs/heads/main"}, main_protected_);
  EXPECT_FALSE(deleted.Succeeded());
  EXPECT_THAT(deleted.stderr_data, HasSubstr("refusing to delete protected branch main"));
  EXPECT_THAT(deleted.stderr_data, HasSubstr("--allow-delete"));
  EXPECT_EQ(Head("main"), second_);

  // Nothing refused was reported.
  EXPECT_THAT(Report(), Not(HasSubstr(rewritten)));

  // Other branches may be rewritten and deleted.
  ASSERT_TRUE(Push({second_ + ":refs/heads/dev"}, main_protected_).Succeeded());
  ProcessResult dev_forced = Push({"--force", rewritten + ":refs/heads/dev"}, main_protected_);
  ASSERT_TRUE(dev_forced.Succeeded()) << dev_forced.stderr_data;
  ASSERT_TRUE(Push({":refs/heads/dev"}, main_protected_).Succeeded());
  EXPECT_THAT(Report(), HasSubstr(rewritten + " " + kZero + " refs/heads/dev\n"));

  // With the project's permission, main may be forced too.
  BranchProtection lenient{.patterns = {"main"}, .deny_force_push = false};
  ProcessResult allowed = Push({"--force", rewritten + ":refs/heads/main"}, lenient);
  ASSERT_TRUE(allowed.Succeeded()) << allowed.stderr_data;
  EXPECT_EQ(Head("main"), rewritten);
}

TEST_F(HooksPushTest, ARefusalRefusesTheWholePush) {
  ASSERT_TRUE(Push({second_ + ":refs/heads/main"}, main_protected_).Succeeded());
  ProcessResult both = Push({":refs/heads/main", first_ + ":refs/heads/other"}, main_protected_);
  EXPECT_FALSE(both.Succeeded());
  EXPECT_THAT(both.stderr_data, HasSubstr("refused as a whole"));
  EXPECT_EQ(Head("other"), "");
  EXPECT_EQ(Head("main"), second_);
}

}  // namespace
}  // namespace yard::git
