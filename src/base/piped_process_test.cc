#include "base/piped_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace yard {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kLong{30000};

ProcessOptions Sh(const std::string& script) {
  ProcessOptions options;
  options.argv = {"/bin/sh", "-c", script};
  return options;
}

// Writes all of `data` to a nonblocking descriptor, waiting for room as needed.
void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN) {
      pollfd ready{fd, POLLOUT, 0};
      poll(&ready, 1, -1);
    } else {
      FAIL() << "write: " << errno;
    }
  }
}

// Reads a nonblocking descriptor to EOF.
std::string ReadToEnd(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      return out;
    } else if (errno == EAGAIN) {
      pollfd ready{fd, POLLIN, 0};
      poll(&ready, 1, -1);
    } else if (errno != EINTR) {
      ADD_FAILURE() << "read: " << errno;
      return out;
    }
  }
}

TEST(PipedProcessTest, EchoesStdinAndSeesItsEnd) {
  PipedProcess cat = MUST(PipedProcess::Start(Sh("cat; echo done >&2")));
  EXPECT_GT(cat.pid(), 0);
  WriteAll(cat.stdin_fd(), "hello\n");
  cat.CloseStdin();
  EXPECT_EQ(cat.stdin_fd(), -1);
  EXPECT_EQ(ReadToEnd(cat.stdout_fd()), "hello\n");
  EXPECT_EQ(ReadToEnd(cat.stderr_fd()), "done\n");
  EXPECT_EQ(MUST(cat.Wait(kLong)), 0);
  EXPECT_FALSE(cat.Running());
}

TEST(PipedProcessTest, LargeInputWhileReadingOutput) {
  // More than a pipe buffer each way: the caller must interleave, as the gateway's pump does.
  PipedProcess cat = MUST(PipedProcess::Start(Sh("cat")));
  std::string input(1 << 20, 'x');
  std::string_view left = input;
  std::string output;
  char buffer[65536];
  while (output.size() < input.size()) {
    pollfd fds[2] = {{cat.stdout_fd(), POLLIN, 0}, {cat.stdin_fd(), POLLOUT, 0}};
    ASSERT_GE(poll(fds, left.empty() ? 1 : 2, 10000), 1);
    if (fds[0].revents != 0) {
      ssize_t n = read(cat.stdout_fd(), buffer, sizeof(buffer));
      ASSERT_GT(n, 0);
      output.append(buffer, static_cast<size_t>(n));
    }
    if (!left.empty() && fds[1].revents != 0) {
      ssize_t n = write(cat.stdin_fd(), left.data(), left.size());
      ASSERT_GT(n, 0);
      left.remove_prefix(static_cast<size_t>(n));
      if (left.empty()) cat.CloseStdin();
    }
  }
  EXPECT_EQ(output, input);
  EXPECT_EQ(ReadToEnd(cat.stdout_fd()), "");
  EXPECT_EQ(MUST(cat.Wait(kLong)), 0);
}

TEST(PipedProcessTest, ReportsExitCode) {
  PipedProcess child = MUST(PipedProcess::Start(Sh("exit 3")));
  EXPECT_EQ(MUST(child.Wait(kLong)), 3);
}

TEST(PipedProcessTest, KillReportsTheSignalAs128PlusN) {
  PipedProcess child = MUST(PipedProcess::Start(Sh("exec sleep 60")));
  auto still = child.Wait(milliseconds(0));
  ASSERT_FALSE(still);
  EXPECT_EQ(still.error().code, ErrorCode::kTimeout);
  child.Kill(SIGTERM);
  EXPECT_EQ(MUST(child.Wait(kLong)), 128 + SIGTERM);
  child.Kill(SIGKILL);  // reaped: nothing is sent anywhere
}

TEST(PipedProcessTest, KillReachesTheWholeGroup) {
  // The shell's child keeps stdout open; killing the group ends both, so EOF arrives.
  PipedProcess child = MUST(PipedProcess::Start(Sh("sleep 60 & wait")));
  child.Kill(SIGKILL);
  EXPECT_EQ(ReadToEnd(child.stdout_fd()), "");
  EXPECT_EQ(MUST(child.Wait(kLong)), 128 + SIGKILL);
}

TEST(PipedProcessTest, OurEndsAreNonblockingAndCloseOnExec) {
  PipedProcess child = MUST(PipedProcess::Start(Sh("cat")));
  for (int fd : {child.stdin_fd(), child.stdout_fd(), child.stderr_fd()}) {
    EXPECT_NE(fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << fd;
    EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << fd;
  }
  // Nothing to read yet, and no blocking.
  char byte;
  EXPECT_EQ(read(child.stdout_fd(), &byte, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  child.CloseStdin();
  EXPECT_EQ(MUST(child.Wait(kLong)), 0);
}

TEST(PipedProcessTest, ChildDoesNotInheritOtherPipes) {
  // A second child must not hold the first one's stdin open (it would never see EOF).
  PipedProcess first = MUST(PipedProcess::Start(Sh("cat")));
  PipedProcess second = MUST(PipedProcess::Start(Sh("ls /proc/self/fd | wc -l")));
  std::string count = ReadToEnd(second.stdout_fd());
  EXPECT_EQ(MUST(second.Wait(kLong)), 0);
  // 0, 1, 2 and the descriptor ls reads /proc/self/fd with.
  EXPECT_EQ(std::stoi(count), 4) << count;
  first.CloseStdin();
  EXPECT_EQ(MUST(first.Wait(kLong)), 0);
}

TEST(PipedProcessTest, EnvironmentAndCwd) {
  ProcessOptions options = Sh("echo \"$YARD_PIPED|$(pwd)\"");
  options.env = {{"YARD_PIPED", "yes"}, {"PATH", "/usr/bin:/bin"}};
  options.clear_env = true;
  options.cwd = "/";
  PipedProcess child = MUST(PipedProcess::Start(options));
  EXPECT_EQ(ReadToEnd(child.stdout_fd()), "yes|/\n");
  EXPECT_EQ(MUST(child.Wait(kLong)), 0);
}

TEST(PipedProcessTest, MissingProgramIsNotFound) {
  ProcessOptions options;
  options.argv = {"/nonexistent/program"};
  auto started = PipedProcess::Start(options);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound);
}

TEST(PipedProcessTest, DestructorKillsARunningChild) {
  pid_t pid;
  {
    PipedProcess child = MUST(PipedProcess::Start(Sh("exec sleep 60")));
    pid = child.pid();
  }
  // Reaped by the destructor: the pid no longer names our child.
  EXPECT_EQ(kill(pid, 0) == 0 && getpgid(pid) == pid, false);
}

TEST(PipedProcessTest, MoveKeepsTheChild) {
  PipedProcess first = MUST(PipedProcess::Start(Sh("exit 5")));
  PipedProcess second = std::move(first);
  EXPECT_EQ(MUST(second.Wait(kLong)), 5);
}

}  // namespace
}  // namespace yard
