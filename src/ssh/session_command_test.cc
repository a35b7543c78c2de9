#include "ssh/session_command.h"

#include <gtest/gtest.h>

#include <csignal>

#include "base/process.h"

namespace yard::ssh {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;
using Kind = SessionRequest::Kind;

TEST(SessionCommandTest, ShellPrefersBashAsALoginShell) {
  std::vector<std::string> shell = ShellCommand();
  ASSERT_EQ(shell.size(), 3u);
  EXPECT_EQ(shell[0], "/bin/sh");
  EXPECT_EQ(shell[1], "-c");
  EXPECT_EQ(shell[2], "if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l");
}

TEST(SessionCommandTest, ExecRunsTheCommandLineThroughSh) {
  EXPECT_EQ(ExecCommand("echo hi; exit 3"),
            (std::vector<std::string>{"/bin/sh", "-c", "echo hi; exit 3"}));
  EXPECT_EQ(ExecCommand(""), (std::vector<std::string>{"/bin/sh", "-c", ""}));
}

TEST(SessionCommandTest, SftpProbesEveryKnownPathAndSaysWhatToInstall) {
  std::vector<std::string> sftp = SftpCommand();
  ASSERT_EQ(sftp.size(), 3u);
  EXPECT_EQ(sftp[0], "/bin/sh");
  const std::string& script = sftp[2];
  EXPECT_TRUE(script.starts_with("for p in /usr/lib/openssh/sftp-server /usr/lib/sftp-server "))
      << script;
  EXPECT_NE(script.find("do [ -x \"$p\" ] && exec \"$p\"; done;"), std::string::npos) << script;
  EXPECT_NE(script.find("yard: this container has no sftp-server (looked in "
                        "/usr/lib/openssh/sftp-server, /usr/lib/sftp-server, "
                        "/usr/libexec/openssh/sftp-server, /usr/libexec/sftp-server, "
                        "/usr/lib/ssh/sftp-server); install openssh-sftp-server in its image to "
                        "use sftp and scp\" >&2; exit 127"),
            std::string::npos)
      << script;
}

TEST(SessionCommandTest, SftpProbeRunsInARealShell) {
  std::string script = SftpCommand()[2];
  ProcessResult parsed = MUST(RunProcess({.argv = {"/bin/sh", "-n", "-c", script}}));
  EXPECT_TRUE(parsed.Succeeded()) << parsed.stderr_data;
  // Where none of the paths exists (moved under a folder that does not), the user is told.
  std::string missing = script;
  for (size_t at = 0; (at = missing.find(" /usr/", at)) != std::string::npos; at += 12) {
    missing.replace(at, 1, " /nonexistent");
  }
  ProcessResult ran = MUST(RunProcess({.argv = {"/bin/sh", "-c", missing}}));
  EXPECT_EQ(ran.exit_code, 127);
  EXPECT_TRUE(ran.stdout_data.empty());
  EXPECT_TRUE(ran.stderr_data.starts_with("yard: this container has no sftp-server"))
      << ran.stderr_data;
}

TEST(SessionCommandTest, SignalsFromTheAllowList) {
  EXPECT_EQ(SignalNumber("INT"), SIGINT);
  EXPECT_EQ(SignalNumber("TERM"), SIGTERM);
  EXPECT_EQ(SignalNumber("HUP"), SIGHUP);
  EXPECT_EQ(SignalNumber("QUIT"), SIGQUIT);
  EXPECT_EQ(SignalNumber("KILL"), SIGKILL);
  EXPECT_EQ(SignalNumber("USR1"), SIGUSR1);
  EXPECT_EQ(SignalNumber("USR2"), SIGUSR2);
  EXPECT_EQ(SignalNumber("ALRM"), SIGALRM);
  for (const char* refused : {"", "SIGINT", "int", "STOP", "CONT", "SEGV", "9", "PIPE"}) {
    EXPECT_FALSE(SignalNumber(refused)) << refused;
  }
}

TEST(SessionCommandTest, EnvAllowList) {
  for (const char* name :
       {"LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "COLORTERM", "TZ"}) {
    EXPECT_TRUE(EnvAllowed(name, false)) << name;
  }
  for (const char* name :
       {"PATH", "LD_PRELOAD", "BASH_ENV", "TERM", "HOME", "STACKYARD_USER", "SSH_CONNECTION", "LC_",
        "lang", "LC_all", "LC-ALL", "GIT_PROTOCOL", ""}) {
    EXPECT_FALSE(EnvAllowed(name, false)) << name;
  }
  EXPECT_TRUE(EnvAllowed("GIT_PROTOCOL", true));
  EXPECT_TRUE(EnvAllowed("LANG", true));
  EXPECT_FALSE(EnvAllowed("PATH", true));
}

TEST(SessionCommandTest, SetEnvChecksNamesValuesAndCounts) {
  SessionSetup setup(false, {.max_variables = 2, .max_value_bytes = 8});
  EXPECT_TRUE(setup.SetEnv("LANG", "C.UTF-8"));
  auto refused = setup.SetEnv("PATH", "/evil");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message, "env PATH is not accepted from clients");
  refused = setup.SetEnv("LC_ALL", "123456789");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "env LC_ALL: the value has 9 bytes, at most 8 are accepted");
  EXPECT_FALSE(setup.SetEnv("TZ", std::string("a\0b", 3)));
  EXPECT_FALSE(setup.SetEnv("\x1b[2J", "x"));
  EXPECT_TRUE(setup.SetEnv("TZ", "UTC"));
  refused = setup.SetEnv("LC_ALL", "C");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "env LC_ALL: at most 2 variables are accepted");
  // Setting one again replaces it and needs no room.
  EXPECT_TRUE(setup.SetEnv("LANG", "C"));
  EXPECT_EQ(setup.env(), (Env{{"LANG", "C"}, {"TZ", "UTC"}}));
  EXPECT_EQ(setup.git_protocol(), "");
}

TEST(SessionCommandTest, GitProtocolForTheGitUserOnly) {
  SessionSetup git(true);
  EXPECT_FALSE(git.SetEnv("GIT_PROTOCOL", "version=2:evil"));
  EXPECT_FALSE(git.SetEnv("GIT_PROTOCOL", "v2"));
  EXPECT_TRUE(git.SetEnv("GIT_PROTOCOL", "version=2"));
  EXPECT_EQ(git.git_protocol(), "version=2");
  SessionSetup other(false);
  EXPECT_FALSE(other.SetEnv("GIT_PROTOCOL", "version=2"));
}

TEST(SessionCommandTest, PtyTermAndSize) {
  SessionSetup setup;
  EXPECT_FALSE(setup.tty());
  setup.SetPty("xterm-256color", 50, 132);
  EXPECT_TRUE(setup.tty());
  EXPECT_EQ(setup.term(), "xterm-256color");
  EXPECT_EQ(setup.rows(), 50);
  EXPECT_EQ(setup.cols(), 132);
  setup.SetPty("", 0, 0);
  EXPECT_EQ(setup.term(), "xterm");
  EXPECT_EQ(setup.rows(), 24);
  EXPECT_EQ(setup.cols(), 80);
  setup.SetPty("xterm\nPATH=/x", 40, 1000000);
  EXPECT_EQ(setup.term(), "xterm");
  EXPECT_EQ(setup.rows(), 24);
  setup.SetPty("rxvt-unicode+x.y_z", 10, 20);
  EXPECT_EQ(setup.term(), "rxvt-unicode+x.y_z");
}

TEST(SessionCommandTest, ExecRequestForAShellWithATerminal) {
  SessionSetup setup;
  setup.SetPty("xterm-256color", 40, 120);
  ASSERT_TRUE(setup.SetEnv("LANG", "C.UTF-8"));
  ASSERT_TRUE(setup.SetEnv("LC_ALL", "C"));
  Env added = {{"SSH_CONNECTION", "192.0.2.1 50000 127.0.0.1 2222"}, {"STACKYARD_USER", "ada"}};
  ExecRequest exec = MUST(MakeExecRequest(setup, {.kind = Kind::kShell}, "c0ffee", added));
  EXPECT_EQ(exec.container_id, "c0ffee");
  EXPECT_EQ(exec.cmd, ShellCommand());
  EXPECT_TRUE(exec.tty);
  EXPECT_EQ(exec.rows, 40);
  EXPECT_EQ(exec.cols, 120);
  EXPECT_EQ(exec.env, (Env{{"TERM", "xterm-256color"},
                           {"LANG", "C.UTF-8"},
                           {"LC_ALL", "C"},
                           {"SSH_CONNECTION", "192.0.2.1 50000 127.0.0.1 2222"},
                           {"STACKYARD_USER", "ada"}}));
}

TEST(SessionCommandTest, ExecRequestForACommandWithoutATerminal) {
  SessionSetup setup;
  ExecRequest exec =
      MUST(MakeExecRequest(setup, {.kind = Kind::kExec, .text = "ls -l"}, "c0ffee", {}));
  EXPECT_EQ(exec.cmd, ExecCommand("ls -l"));
  EXPECT_FALSE(exec.tty);
  EXPECT_TRUE(exec.env.empty());
}

TEST(SessionCommandTest, SubsystemsAreSftpOnlyAndNeverGetATerminal) {
  SessionSetup setup;
  setup.SetPty("xterm", 24, 80);
  ExecRequest exec =
      MUST(MakeExecRequest(setup, {.kind = Kind::kSubsystem, .text = "sftp"}, "c0ffee", {}));
  EXPECT_EQ(exec.cmd, SftpCommand());
  EXPECT_FALSE(exec.tty);
  EXPECT_TRUE(exec.env.empty());
  auto refused =
      MakeExecRequest(setup, {.kind = Kind::kSubsystem, .text = "netconf\x1b"}, "c0ffee", {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message, "yard: the subsystem 'netconf?' is not served; only sftp is");
}

TEST(SessionCommandTest, TheGatewaysVariablesWin) {
  SessionSetup setup(true);
  ASSERT_TRUE(setup.SetEnv("GIT_PROTOCOL", "version=2"));
  ASSERT_TRUE(setup.SetEnv("TZ", "UTC"));
  ExecRequest exec = MUST(
      MakeExecRequest(setup, {.kind = Kind::kExec, .text = "true"}, "c", {{"TZ", "Europe/Paris"}}));
  EXPECT_EQ(exec.env, (Env{{"TZ", "Europe/Paris"}}));
}

}  // namespace
}  // namespace yard::ssh
