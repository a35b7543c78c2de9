#include "base/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace yard {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Generous: only meant to catch hangs, never to measure speed.
constexpr auto kHangLimit = std::chrono::seconds(10);

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/yard_process_test.XXXXXX";
    if (mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code error;
    if (!path_.empty()) std::filesystem::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

// True once `pid` no longer runs (gone, or a zombie waiting for whoever inherited it).
bool ProcessGone(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || stat.substr(paren + 2, 1) == "Z";
}

bool WaitUntilGone(pid_t pid) {
  const auto deadline = Clock::now() + kHangLimit;
  while (!ProcessGone(pid)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// Kills a grandchild the test started behind RunProcess's back, even when an assertion failed
// before its pid was known: the grandchild writes its pid to `pid_file` first thing.
class KillOnExit {
 public:
  explicit KillOnExit(std::string pid_file = "") : pid_file_(std::move(pid_file)) {}
  ~KillOnExit() {
    if (pid_ <= 0 && !pid_file_.empty()) pid_ = std::atoi(ReadFile(pid_file_).c_str());
    if (pid_ > 0 && !ProcessGone(pid_)) kill(pid_, SIGKILL);
  }
  void set(pid_t pid) { pid_ = pid; }

 private:
  std::string pid_file_;
  pid_t pid_ = -1;
};

ProcessOptions Command(std::vector<std::string> argv) {
  ProcessOptions options;
  options.argv = std::move(argv);
  return options;
}

ProcessOptions Sh(const std::string& script) { return Command({"sh", "-c", script}); }

Subprocess::Spawn SpawnOf(ProcessOptions options, std::string stdout_path = "",
                          std::string stderr_path = "") {
  Subprocess::Spawn spawn;
  spawn.options = std::move(options);
  spawn.stdout_path = std::move(stdout_path);
  spawn.stderr_path = std::move(stderr_path);
  return spawn;
}

TEST(ProcessTest, CapturesStdoutAndStderr) {
  auto result = RunProcess(Sh("echo out; echo err >&2; printf more"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "out\nmore");
  EXPECT_EQ(result->stderr_data, "err\n");
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->term_signal, 0);
  EXPECT_TRUE(result->Succeeded());
  EXPECT_FALSE(result->output_truncated);
}

TEST(ProcessTest, ReportsExitCode) {
  auto result = RunProcess(Sh("exit 3"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_FALSE(result->Succeeded());
  EXPECT_EQ(result->Describe(), "exited with status 3");
}

TEST(ProcessTest, ReportsTerminatingSignal) {
  auto result = RunProcess(Sh("kill -KILL $$"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_EQ(result->Describe(), "killed by signal 9");
}

TEST(ProcessTest, DescribeCoversEveryOutcome) {
  ProcessResult result;
  EXPECT_EQ(result.Describe(), "exit status unknown");
  result.exit_code = 0;
  EXPECT_EQ(result.Describe(), "exited with status 0");
  result.timed_out = true;
  result.exit_code = -1;
  result.term_signal = SIGTERM;
  EXPECT_EQ(result.Describe(), "timed out");
  EXPECT_FALSE(result.Succeeded());
}

TEST(ProcessTest, StdinIsDevNullByDefault) {
  auto result = RunProcess(Command({"cat"}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "");
  EXPECT_TRUE(result->Succeeded());
}

TEST(ProcessTest, StdinRoundTrip) {
  ProcessOptions options = Command({"cat"});
  options.stdin_data = "hello\nworld";
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "hello\nworld");
}

TEST(ProcessTest, LargeStdinRoundTripDoesNotDeadlock) {
  std::string input(4 * 1024 * 1024, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
  ProcessOptions options = Command({"cat"});
  options.stdin_data = input;
  options.timeout = std::chrono::duration_cast<milliseconds>(kHangLimit);
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->stdout_data.size(), input.size());
  EXPECT_TRUE(result->stdout_data == input);
}

TEST(ProcessTest, ChildThatIgnoresStdinNeitherBlocksNorRaisesSigpipe) {
  for (const char* script : {"exit 0", "exec 0<&-; sleep 0.2; echo done"}) {
    ProcessOptions options = Sh(script);
    options.stdin_data = std::string(4 * 1024 * 1024, 'x');
    options.timeout = std::chrono::duration_cast<milliseconds>(kHangLimit);
    auto result = RunProcess(options);  // the test would die of SIGPIPE if it leaked
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->Succeeded()) << script << ": " << result->Describe();
    sigset_t pending;
    sigpending(&pending);
    EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  }
}

TEST(ProcessTest, EnvOverridesAndInherits) {
  const char* path = getenv("PATH");
  ASSERT_NE(path, nullptr);
  ProcessOptions options = Sh("echo \"$YARD_TEST_VAR|$HOME|$PATH\"");
  options.env = {{"YARD_TEST_VAR", "a value"}, {"HOME", "/yard-home"}};
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "a value|/yard-home|" + std::string(path) + "\n");
}

TEST(ProcessTest, ClearEnvPassesOnlyGivenVariables) {
  ProcessOptions options = Command({"env"});  // found on the default PATH: the child has none
  options.clear_env = true;
  options.env = {{"ONLY", "1"}, {"ALSO", "two words"}};
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "ALSO=two words\nONLY=1\n");
}

TEST(ProcessTest, RunsInCwd) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ProcessOptions options = Sh("pwd -P");
  options.cwd = dir.path();
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(ProcessTest, MissingCwdIsNotFound) {
  ProcessOptions options = Command({"true"});
  options.cwd = "/nonexistent/yard-test-dir";
  auto result = RunProcess(options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find("/nonexistent/yard-test-dir"), std::string::npos);
}

TEST(ProcessTest, MissingProgramIsNotFound) {
  auto result = RunProcess(Command({"yard-no-such-program", "arg"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message,
            "cannot execute 'yard-no-such-program': No such file or directory");

  auto absolute = RunProcess(Command({"/nonexistent/yard-program"}));
  ASSERT_FALSE(absolute);
  EXPECT_EQ(absolute.error().code, ErrorCode::kNotFound);
}

TEST(ProcessTest, NonExecutableFileIsNotFound) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string script = dir.path() + "/script";
  WriteFile(script, "#!/bin/sh\necho hi\n");
  auto result = RunProcess(Command({script}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find("Permission denied"), std::string::npos);

  ASSERT_EQ(chmod(script.c_str(), 0700), 0);
  auto ran = RunProcess(Command({script}));
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->stdout_data, "hi\n");
}

TEST(ProcessTest, EmptyArgvIsInvalid) {
  auto result = RunProcess(ProcessOptions());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

TEST(ProcessTest, ChildGetsItsOwnProcessGroup) {
  auto result = RunProcess(Sh("read -r pid comm state ppid pgrp rest < /proc/$$/stat; "
                              "echo \"$pid $pgrp\""));
  ASSERT_TRUE(result) << result.error().message;
  std::istringstream fields(result->stdout_data);
  pid_t pid = 0, pgrp = 0;
  fields >> pid >> pgrp;
  EXPECT_GT(pid, 0);
  EXPECT_EQ(pid, pgrp);
  EXPECT_NE(pgrp, getpgrp());
}

TEST(ProcessTest, ResetsSignalMaskAndIgnoredSignals) {
  sigset_t block_term, old_mask;
  sigemptyset(&block_term);
  sigaddset(&block_term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block_term, &old_mask), 0);
  struct sigaction ignore = {}, old_action = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGINT, &ignore, &old_action), 0);

  auto result = RunProcess(Command({"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"}));

  sigaction(SIGINT, &old_action, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST(ProcessTest, DoesNotLeakDescriptors) {
  int leaky = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 3);
  auto result = RunProcess(Sh("ls /proc/$$/fd"));
  close(leaky);
  ASSERT_TRUE(result) << result.error().message;
  std::istringstream fds(result->stdout_data);
  std::vector<std::string> names;
  for (std::string name; fds >> name;) names.push_back(name);
  for (const std::string& name : names) {
    EXPECT_LT(std::stoi(name), 3) << "leaked descriptor " << name << " in " << result->stdout_data;
  }
}

TEST(ProcessTest, TimeoutTerminatesTheChild) {
  ProcessOptions options = Command({"sleep", "30"});
  options.timeout = milliseconds(200);
  const auto start = Clock::now();
  auto result = RunProcess(options);
  EXPECT_LT(Clock::now() - start, kHangLimit);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGTERM);
  EXPECT_FALSE(result->Succeeded());
  EXPECT_EQ(result->Describe(), "timed out");
}

TEST(ProcessTest, TimeoutEscalatesToKillAfterGrace) {
  // The trap must be in place before SIGTERM arrives, hence the roomy timeout.
  ProcessOptions options = Sh("trap '' TERM; echo ready; sleep 30");
  options.timeout = milliseconds(1000);
  options.kill_grace = milliseconds(200);
  const auto start = Clock::now();
  auto result = RunProcess(options);
  EXPECT_LT(Clock::now() - start, kHangLimit);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_EQ(result->stdout_data, "ready\n");
}

TEST(ProcessTest, BackgroundGrandchildDoesNotHangAndIsKilled) {
  KillOnExit cleanup;
  const auto start = Clock::now();
  auto result = RunProcess(Sh("sleep 30 & echo $!"));
  EXPECT_LT(Clock::now() - start, kHangLimit);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->Succeeded());
  pid_t grandchild = std::atoi(result->stdout_data.c_str());
  ASSERT_GT(grandchild, 0) << result->stdout_data;
  cleanup.set(grandchild);
  EXPECT_TRUE(WaitUntilGone(grandchild));
}

TEST(ProcessTest, GrandchildThatLeftTheGroupDoesNotHang) {
  if (!FindExecutable("setsid") || !FindExecutable("mkfifo")) GTEST_SKIP() << "no setsid(1)";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  KillOnExit cleanup(dir.path() + "/pid");
  // The grandchild escapes into its own session while holding stdout; the fifo makes sure it
  // has done so before its parent exits (and RunProcess kills the old process group).
  ProcessOptions options = Sh(
      "mkfifo ready && { setsid sh -c 'echo $$ > pid; echo $$ > ready; exec sleep 30' & } "
      "&& read pid < ready && echo $pid");
  options.cwd = dir.path();
  const auto start = Clock::now();
  auto result = RunProcess(options);
  EXPECT_LT(Clock::now() - start, kHangLimit);
  ASSERT_TRUE(result) << result.error().message;
  pid_t grandchild = std::atoi(result->stdout_data.c_str());
  ASSERT_GT(grandchild, 0) << result->stdout_data << result->stderr_data;
  cleanup.set(grandchild);
  EXPECT_TRUE(result->Succeeded()) << result->Describe();
  EXPECT_FALSE(ProcessGone(grandchild));  // it escaped the group kill, yet we returned
}

TEST(ProcessTest, TruncatesOutputBeyondLimit) {
  ProcessOptions options = Sh("head -c 10000000 /dev/zero; echo tail >&2");
  options.max_output_bytes = 1000;
  options.timeout = std::chrono::duration_cast<milliseconds>(kHangLimit);
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->Succeeded()) << result->Describe();  // the child was never blocked
  EXPECT_EQ(result->stdout_data, std::string(1000, '\0'));
  EXPECT_EQ(result->stderr_data, "tail\n");
  EXPECT_TRUE(result->output_truncated);
}

TEST(ProcessTest, RunCheckedPassesSuccessThrough) {
  auto result = RunChecked(Command({"echo", "fine"}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_data, "fine\n");
}

TEST(ProcessTest, RunCheckedReportsCommandStatusAndStderr) {
  auto result = RunChecked(Sh("echo 'fatal: repository not found' >&2; exit 128"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_EQ(result.error().message,
            "sh -c 'echo '\\''fatal: repository not found'\\'' >&2; exit 128': "
            "exited with status 128: fatal: repository not found");
}

TEST(ProcessTest, RunCheckedKeepsOnlyTheTailOfStderr) {
  auto result = RunChecked(Sh("head -c 100000 /dev/zero | tr '\\0' x >&2; echo END >&2; false"));
  ASSERT_FALSE(result);
  const std::string& message = result.error().message;
  EXPECT_LT(message.size(), 2500u);
  EXPECT_NE(message.find("exited with status 1: xxx"), std::string::npos) << message;
  EXPECT_EQ(message.substr(message.size() - 6), "xxxEND");
}

TEST(ProcessTest, RunCheckedPropagatesStartErrors) {
  auto result = RunChecked(Command({"yard-no-such-program"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
}

TEST(ProcessTest, RunsConcurrentlyFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 10; ++i) {
        std::string word = std::to_string(t) + "-" + std::to_string(i);
        ProcessOptions options = Command({"cat"});
        options.stdin_data = word;
        auto result = RunProcess(options);
        if (!result || result->stdout_data != word || !result->Succeeded()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (size_t t = 0; t < failures.size(); ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(ProcessTest, SubprocessAppendsOutputAndTerminates) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string out = dir.path() + "/out.log";
  const std::string err = dir.path() + "/err.log";
  WriteFile(out, "previous\n");
  Subprocess::Spawn spawn = SpawnOf(Sh("echo started; echo oops >&2; exec sleep 30"), out, err);
  auto process = Subprocess::Start(spawn);
  ASSERT_TRUE(process) << process.error().message;
  EXPECT_GT(process->pid(), 0);
  EXPECT_TRUE(process->Running());

  auto still_running = process->Wait(milliseconds(100));
  ASSERT_FALSE(still_running);
  EXPECT_EQ(still_running.error().code, ErrorCode::kTimeout);

  const auto start = Clock::now();
  ProcessResult result = process->Terminate(milliseconds(5000));
  EXPECT_LT(Clock::now() - start, kHangLimit);
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_FALSE(process->Running());
  ProcessResult again = process->Terminate();
  EXPECT_EQ(again.term_signal, SIGTERM);

  EXPECT_EQ(ReadFile(out), "previous\nstarted\n");
  EXPECT_EQ(ReadFile(err), "oops\n");
  struct stat info;
  ASSERT_EQ(stat(err.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(ProcessTest, SubprocessWaitReturnsExitStatus) {
  auto process = Subprocess::Start(SpawnOf(Sh("exit 7")));
  ASSERT_TRUE(process) << process.error().message;
  auto result = process->Wait(std::chrono::duration_cast<milliseconds>(kHangLimit));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_FALSE(process->Running());
  auto again = process->Wait(milliseconds(0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->exit_code, 7);
}

TEST(ProcessTest, SubprocessTerminateEscalatesToKill) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string out = dir.path() + "/out.log";
  auto process = Subprocess::Start(SpawnOf(Sh("trap '' TERM; echo ready; sleep 30"), out));
  ASSERT_TRUE(process) << process.error().message;
  // Wait for the trap, so that SIGTERM is known to be ignored.
  const auto deadline = Clock::now() + kHangLimit;
  while (ReadFile(out) != "ready\n" && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(ReadFile(out), "ready\n");
  ProcessResult result = process->Terminate(milliseconds(200));
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_FALSE(process->Running());
}

TEST(ProcessTest, SubprocessDestructorAndMoveTerminate) {
  pid_t pid = -1;
  {
    auto started = Subprocess::Start(SpawnOf(Command({"sleep", "30"})));
    ASSERT_TRUE(started) << started.error().message;
    Subprocess process = std::move(*started);
    pid = process.pid();
    EXPECT_EQ(started->pid(), -1);
    EXPECT_FALSE(started->Running());
    EXPECT_TRUE(process.Running());

    auto other = Subprocess::Start(SpawnOf(Command({"sleep", "30"})));
    ASSERT_TRUE(other) << other.error().message;
    pid_t other_pid = other->pid();
    *other = std::move(process);  // terminates the sleep `other` held
    EXPECT_TRUE(WaitUntilGone(other_pid));
    EXPECT_EQ(other->pid(), pid);
    EXPECT_TRUE(other->Running());
  }
  EXPECT_TRUE(WaitUntilGone(pid));
}

TEST(ProcessTest, DieWithParentEndsTheChildWithItsThread) {
  ProcessOptions options = Sh("exec sleep 30");
  options.die_with_parent = true;
  std::optional<Subprocess> child;
  // The thread that starts the child ends at once; the child goes with it.
  std::thread([&] {
    auto started = Subprocess::Start(SpawnOf(options));
    ASSERT_TRUE(started) << started.error().message;
    child.emplace(std::move(*started));
  }).join();
  ASSERT_TRUE(child);
  auto result = child->Wait(kHangLimit);
  ASSERT_TRUE(result) << "the child outlived the thread that started it";
  EXPECT_EQ(result->term_signal, SIGKILL);
}

TEST(ProcessTest, SubprocessStartErrors) {
  auto missing = Subprocess::Start(SpawnOf(Command({"yard-no-such-program"})));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto bad_path = Subprocess::Start(SpawnOf(Command({"true"}), "/nonexistent/dir/out.log"));
  ASSERT_FALSE(bad_path);
  EXPECT_EQ(bad_path.error().code, ErrorCode::kIo);
}

TEST(ProcessTest, FindExecutable) {
  auto sh = FindExecutable("sh");
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->front(), '/');
  EXPECT_EQ(access(sh->c_str(), X_OK), 0);
  EXPECT_EQ(FindExecutable("/bin/sh"), "/bin/sh");
  EXPECT_FALSE(FindExecutable("yard-no-such-program"));
  EXPECT_FALSE(FindExecutable(""));

  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string plain = dir.path() + "/plain";
  WriteFile(plain, "data");
  EXPECT_FALSE(FindExecutable(plain));
  EXPECT_FALSE(FindExecutable(dir.path()));  // directories are searchable, not executable
  ASSERT_EQ(chmod(plain.c_str(), 0700), 0);
  EXPECT_EQ(FindExecutable(plain), plain);
}

}  // namespace
}  // namespace yard
