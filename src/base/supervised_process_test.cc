#include "base/supervised_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Generous: only meant to catch hangs, never to measure speed.
constexpr auto kHangLimit = std::chrono::seconds(20);

bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + kHangLimit;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// Gone or a zombie: what a process the test cannot reap itself looks like once it has ended.
bool Gone(pid_t pid) {
  auto stat = fs::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  size_t paren = stat->rfind(')');
  return paren == std::string::npos || stat->substr(paren + 2, 1) == "Z";
}

class SupervisedProcessTest : public ::testing::Test {
 protected:
  SupervisedProcessOptions Options(std::vector<std::string> argv) {
    return {.name = "the child",
            .log_prefix = "test",
            .process = {.argv = std::move(argv)},
            .log_path = dir.File("child.log"),
            .pid_path = dir.File("child.pid"),
            .socket_path = dir.File("child.sock"),
            .answers = [] { return true; },
            .start_timeout = std::chrono::seconds(20),
            .min_backoff = milliseconds(1),
            .max_backoff = milliseconds(8)};
  }

  std::string RecordedPid() {
    auto text = fs::ReadFile(dir.File("child.pid"));
    return text ? *text : "";
  }

  testing::TempDir dir;
};

TEST_F(SupervisedProcessTest, StartsWithItsEnvironmentAndLogAndStopEndsIt) {
  auto options = Options({"sh", "-c", "echo \"hello $GREETED\"; exec sleep 600"});
  options.process.env = {{"GREETED", "world"}};
  std::string log_path = options.log_path;
  options.answers = [log_path] {
    auto log = fs::ReadFile(log_path);
    return log && log->find("hello world") != std::string::npos;
  };
  SupervisedProcess process(std::move(options));
  EXPECT_FALSE(process.started());
  ASSERT_TRUE(process.Start());
  EXPECT_TRUE(process.started());
  pid_t pid = process.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(RecordedPid(), std::to_string(pid) + "\n");

  auto again = process.Start();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(process.pid(), pid);

  process.Stop();
  EXPECT_FALSE(process.started());
  EXPECT_EQ(process.pid(), -1);
  EXPECT_TRUE(Gone(pid));
  EXPECT_FALSE(fs::Exists(dir.File("child.pid")));
  EXPECT_EQ(process.restarts(), 0);
  process.Stop();  // idempotent
}

TEST_F(SupervisedProcessTest, RemovesAStaleSocketBeforeStarting) {
  ASSERT_TRUE(fs::AtomicWriteFile(dir.File("child.sock"), "stale"));
  auto options = Options({"sleep", "600"});
  std::string socket_path = options.socket_path;
  options.answers = [socket_path] { return !fs::Exists(socket_path); };
  SupervisedProcess process(std::move(options));
  ASSERT_TRUE(process.Start());
}

TEST_F(SupervisedProcessTest, RestartsAChildThatExits) {
  // Each run leaves a line, so that the restarts are seen from the child's side too.
  auto options = Options({"sh", "-c", "echo run >> runs; exit 1"});
  options.process.cwd = dir.path();
  SupervisedProcess exiting(std::move(options));
  ASSERT_TRUE(exiting.Start());
  ASSERT_TRUE(WaitFor([&] { return exiting.restarts() >= 3; }));
  EXPECT_TRUE(exiting.started());
  exiting.Stop();
  auto runs = fs::ReadFile(dir.File("runs"));
  ASSERT_TRUE(runs);
  // Three runs exited after writing their line; the fourth may be stopped before it writes.
  EXPECT_GE(std::count(runs->begin(), runs->end(), '\n'), 3);
}

TEST_F(SupervisedProcessTest, WaitsOutTheBackoffAndStopCutsItShort) {
  auto options = Options({"sleep", "600"});
  options.min_backoff = options.max_backoff = std::chrono::hours(1);
  SupervisedProcess process(std::move(options));
  ASSERT_TRUE(process.Start());
  pid_t pid = process.pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return process.pid() == -1; }));
  EXPECT_EQ(process.restarts(), 0);  // an hour to go
  const auto before = Clock::now();
  process.Stop();
  EXPECT_LT(Clock::now() - before, kHangLimit);
  EXPECT_FALSE(fs::Exists(dir.File("child.pid")));
}

TEST_F(SupervisedProcessTest, MissingProgramIsNotFound) {
  SupervisedProcess process(Options({dir.File("no-such-program")}));
  auto started = process.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(started.error().message, HasSubstr("start the child"));
  EXPECT_FALSE(process.started());
  EXPECT_EQ(process.pid(), -1);
}

TEST_F(SupervisedProcessTest, AChildThatExitsBeforeAnsweringIsUnavailableWithItsLog) {
  auto options = Options({"sh", "-c", "echo 'cannot listen'; exit 3"});
  options.answers = [] { return false; };
  SupervisedProcess process(std::move(options));
  auto started = process.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(started.error().message, HasSubstr("the child exited with status 3"));
  EXPECT_THAT(started.error().message, HasSubstr("cannot listen"));
  EXPECT_FALSE(process.started());
  EXPECT_FALSE(fs::Exists(dir.File("child.pid")));
  // A failed start can be retried.
  auto retried = process.Start();
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().code, ErrorCode::kUnavailable);
}

TEST_F(SupervisedProcessTest, AChildThatNeverAnswersTimesOutAndIsEnded) {
  auto options = Options({"sleep", "600"});
  options.answers = [] { return false; };
  options.start_timeout = milliseconds(200);
  SupervisedProcess process(std::move(options));
  auto started = process.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kTimeout);
  EXPECT_THAT(started.error().message, HasSubstr("did not answer on " + dir.File("child.sock")));
  EXPECT_EQ(process.pid(), -1);
  EXPECT_FALSE(fs::Exists(dir.File("child.pid")));
}

TEST_F(SupervisedProcessTest, StopInterruptsAStartThatWaits) {
  auto options = Options({"sleep", "600"});
  options.answers = [] { return false; };
  options.start_timeout = std::chrono::hours(1);
  SupervisedProcess process(std::move(options));
  std::atomic<bool> done = false;
  Status started;
  std::thread starting([&] {
    started = process.Start();
    done = true;
  });
  ASSERT_TRUE(WaitFor([&] { return process.pid() > 0; }));
  pid_t pid = process.pid();
  process.Stop();
  bool finished = WaitFor([&] { return done.load(); });
  starting.join();
  ASSERT_TRUE(finished);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(Gone(pid));
}

TEST(CheckUnixSocketPathTest, RefusesWhatASocketAddressCannotHold) {
  EXPECT_TRUE(CheckUnixSocketPath("/tmp/data/engine/podman.sock", "the engine socket"));
  EXPECT_TRUE(CheckUnixSocketPath("/" + std::string(106, 's'), "the engine socket"));
  auto refused = CheckUnixSocketPath("/" + std::string(107, 's'), "the engine socket");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.error().message, HasSubstr("the engine socket path /sss"));
  EXPECT_THAT(refused.error().message, HasSubstr("(107 bytes)"));
}

class EndRecordedProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = Subprocess::Start({.options = {.argv = {"sleep", "600"}}});
    ASSERT_TRUE(started) << started.error().message;
    leftover.emplace(std::move(*started));
    ASSERT_TRUE(fs::AtomicWriteFile(pid_path, std::to_string(leftover->pid()) + "\n"));
  }

  testing::TempDir dir;
  std::string pid_path = dir.File("leftover.pid");
  std::optional<Subprocess> leftover;
};

TEST_F(EndRecordedProcessTest, EndsTheRecordedProcessWhenItsArgumentsMatch) {
  EXPECT_TRUE(EndRecordedProcess(pid_path, {"sleep", "600"}));
  EXPECT_FALSE(leftover->Running());
  EXPECT_FALSE(fs::Exists(pid_path));
  EXPECT_FALSE(EndRecordedProcess(pid_path, {"sleep", "600"}));  // nothing recorded any more
}

TEST_F(EndRecordedProcessTest, LeavesAProcessWithOtherArgumentsAlone) {
  // The pid was reused by something else: the arguments must match whole, not in part.
  EXPECT_FALSE(EndRecordedProcess(pid_path, {"sleep", "60"}));
  EXPECT_FALSE(EndRecordedProcess(pid_path, {"sleep", "600", "--extra"}));
  EXPECT_TRUE(leftover->Running());
  EXPECT_TRUE(fs::Exists(pid_path));
}

TEST_F(EndRecordedProcessTest, IgnoresPidFilesThatNameNoProcess) {
  testing::TempDir other;
  EXPECT_FALSE(EndRecordedProcess(other.File("missing.pid"), {}));
  ASSERT_TRUE(fs::AtomicWriteFile(other.File("garbage.pid"), "not a pid\n"));
  EXPECT_FALSE(EndRecordedProcess(other.File("garbage.pid"), {}));
  ASSERT_TRUE(fs::AtomicWriteFile(other.File("init.pid"), "1\n"));
  EXPECT_FALSE(EndRecordedProcess(other.File("init.pid"), {}));
  EXPECT_TRUE(leftover->Running());
}

}  // namespace
}  // namespace yard
