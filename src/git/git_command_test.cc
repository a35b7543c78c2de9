#include "git/git_command.h"

#include <cstdlib>
#include <filesystem>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/test_repo.h"
#include "testing/temp_dir.h"

namespace yard::git {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Sets an environment variable of this process for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(GitArgvTest, SafetyOptionsComeFirst) {
  std::vector<std::string> argv = GitArgv({.args = {"status"}, .git_dir = "/srv/r.git"});
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(argv[0], "git");
  EXPECT_EQ(argv[1], "-c");
  EXPECT_THAT(argv, Contains("protocol.ext.allow=never"));
  EXPECT_THAT(argv, Contains("gc.autoDetach=false"));
  EXPECT_EQ(argv[argv.size() - 2], "--git-dir=/srv/r.git");
  EXPECT_EQ(argv.back(), "status");
}

TEST(GitEnvironmentTest, NoPromptsNoUserConfig) {
  auto env = GitEnvironment();
  EXPECT_EQ(env["GIT_TERMINAL_PROMPT"], "0");
  EXPECT_EQ(env["GIT_CONFIG_NOSYSTEM"], "1");
  EXPECT_EQ(env["GIT_CONFIG_GLOBAL"], "/dev/null");
  EXPECT_EQ(env["LC_ALL"], "C");
  EXPECT_FALSE(env["GIT_ASKPASS"].empty());
  EXPECT_THAT(env["GIT_SSH_COMMAND"], HasSubstr("BatchMode=yes"));
  EXPECT_THAT(env["GIT_ALLOW_PROTOCOL"], Not(HasSubstr("ext")));
  EXPECT_FALSE(env["PATH"].empty());
}

TEST(RunGitTest, IgnoresTheUsersConfigAndEnvironment) {
  yard::testing::TempDir home;
  testing::WriteFile(home.path(), ".gitconfig", "[user]\n\tname = Mallory\n");
  ScopedEnv set_home("HOME", home.path());
  ScopedEnv set_global("GIT_CONFIG_GLOBAL", home.File(".gitconfig"));
  ScopedEnv set_params("GIT_CONFIG_PARAMETERS", "'user.name'='Mallory'");
  ScopedEnv set_dir("GIT_DIR", home.File("nowhere"));
  auto result = RunGit({.args = {"config", "--get", "user.name"}});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 1) << result->stdout_data;  // not set anywhere we read
  EXPECT_EQ(result->stdout_data, "");
}

TEST(RunGitTest, ExtTransportRefusedEvenWithoutValidation) {
  // Defence in depth: even if a caller skipped ValidateRemoteUrl, git itself refuses ext::.
  yard::testing::TempDir dir;
  std::string marker = dir.File("pwned");
  auto result =
      RunGit({.args = {"clone", "--bare", "--", "ext::sh -c touch% " + marker, dir.File("clone")},
              .timeout = std::chrono::seconds(60)});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->Succeeded());
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_THAT(result->stderr_data, HasSubstr("not allowed"));
}

TEST(RunGitCheckedTest, FailureCarriesWhatAndStderr) {
  yard::testing::TempDir dir;
  auto result = RunGitChecked({.args = {"rev-parse", "HEAD"}, .git_dir = dir.File("none")},
                              "cannot read HEAD");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_THAT(result.error().message, HasSubstr("cannot read HEAD: git says: fatal:"));
}

TEST(SummarizeStderrTest, DropsNoise) {
  EXPECT_EQ(SummarizeStderr("Cloning into bare repository 'x'...\nssh: connect to host h port 1: "
                            "Connection refused\r\nfatal: no\n\nhint: try\nerror: twice\n"),
            "ssh: connect to host h port 1: Connection refused; fatal: no; error: twice");
  EXPECT_EQ(SummarizeStderr("  warning: only this  \n"), "warning: only this");
  EXPECT_EQ(SummarizeStderr(""), "");
  std::string summary = SummarizeStderr("fatal: " + std::string(5000, 'x'));
  EXPECT_LE(summary.size(), 1010u);
  EXPECT_TRUE(summary.ends_with("..."));
}

ProcessResult Failed(std::string stderr_data) {
  ProcessResult result;
  result.exit_code = 128;
  result.stderr_data = std::move(stderr_data);
  return result;
}

TEST(RemoteFailureTest, Classifies) {
  struct Case {
    std::string stderr_data;
    ErrorCode code;
    std::string hint;
  };
  for (const Case& c : std::vector<Case>{
           {"fatal: could not read Username for 'https://github.com': terminal prompts disabled",
            ErrorCode::kPermissionDenied, "requires authentication"},
           {"git@host: Permission denied (publickey).\nfatal: Could not read from remote "
            "repository.",
            ErrorCode::kPermissionDenied, "requires authentication"},
           {"fatal: '/tmp/x' does not appear to be a git repository", ErrorCode::kNotFound,
            "no Git repository"},
           {"remote: Repository not found.\nfatal: repository 'https://h/x/' not found",
            ErrorCode::kNotFound, "no Git repository"},
           {"fatal: unable to access 'http://127.0.0.1:1/x.git/': Failed to connect to "
            "127.0.0.1 port 1: Connection refused",
            ErrorCode::kUnavailable, "cannot be reached"},
           {"fatal: protocol error: bad pack header", ErrorCode::kUnavailable, "could not be read"},
       }) {
    Error error = RemoteFailure(Failed(c.stderr_data), "cannot mirror x", "https://h/x");
    EXPECT_EQ(error.code, c.code) << c.stderr_data;
    EXPECT_THAT(error.message, HasSubstr("cannot mirror x: "));
    EXPECT_THAT(error.message, HasSubstr(c.hint)) << error.message;
  }
  ProcessResult timed_out;
  timed_out.timed_out = true;
  EXPECT_EQ(RemoteFailure(timed_out, "x", "https://h/x").code, ErrorCode::kTimeout);
}

TEST(RemoteFailureTest, RedactsCredentialsInGitOutput) {
  Error error = RemoteFailure(
      Failed("fatal: unable to access 'https://bob:hunter2@h/x/': Could not resolve host: h"),
      "cannot mirror", "https://bob:hunter2@h/x/");
  EXPECT_THAT(error.message, Not(HasSubstr("hunter2")));
  EXPECT_THAT(error.message, HasSubstr("https://bob:***@h/x/"));
  // git may quote the URL in another form (no trailing slash, other path): the secret still
  // does not appear.
  Error other = RemoteFailure(Failed("fatal: unable to access 'https://bob:hunter2@h/x.git/'"),
                              "cannot mirror", "https://bob:hunter2@h/x");
  EXPECT_THAT(other.message, Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace yard::git
