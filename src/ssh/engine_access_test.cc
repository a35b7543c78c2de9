// EngineAccess on a real podman service (the runtime's fixture starts one in a temp dir):
// sessions as hijacked execs, signals, hang-ups, and dials from inside containers' network
// namespaces. Needs root, podman and the base image, as docker_runtime_test does.

#include "ssh/engine_access.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/docker_runtime_fixture.h"
#include "runtime/docker_stream.h"

namespace yard::ssh {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using runtime::Cleanup;
using runtime::ContainerSpec;
using runtime::kBaseImage;

// A Perl server that greets every connection with `greeting` on ADDRESS:PORT.
std::vector<std::string> Greeter(const std::string& address, const std::string& greeting) {
  return {"perl", "-MIO::Socket::INET", "-e",
          "$s = IO::Socket::INET->new(LocalAddr => '" + address +
              "', Listen => 16, ReuseAddr => 1) or die qq(listen: $!);"
              " while ($c = $s->accept) { print $c qq(" +
              greeting + "\\n); close $c }"};
}

// Everything a nonblocking descriptor gives until EOF, or until `until` is found in it.
std::string ReadUntil(int fd, const std::string& until = "", std::chrono::seconds limit = 60s) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    if (!until.empty() && out.find(until) != std::string::npos) return out;
    pollfd wait{fd, POLLIN, 0};
    if (poll(&wait, 1, 200) <= 0) continue;
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      ADD_FAILURE() << "read: " << strerror(errno);
      return out;
    }
    out.append(buffer, static_cast<size_t>(n));
  }
  ADD_FAILURE() << "no EOF" << (until.empty() ? "" : " and no '" + until + "'") << " within "
                << limit.count() << " s; got: " << out;
  return out;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd wait{fd, POLLOUT, 0};
      poll(&wait, 1, 1000);
      continue;
    }
    ASSERT_GT(n, 0) << strerror(errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Whether a process of container `id` (by its cgroup) has the command line `cmdline` (NUL
// after each argument), seen from the host.
bool RunsIn(const std::string& id, const std::string& cmdline) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmd(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (args != cmdline) continue;
    std::ifstream cgroup(entry.path() / "cgroup");
    std::string groups((std::istreambuf_iterator<char>(cgroup)), std::istreambuf_iterator<char>());
    if (groups.find(id) != std::string::npos) return true;
  }
  return false;
}

struct Split {
  std::string out;
  std::string err;
};

Split Decode(const std::string& framed) {
  runtime::docker::FrameDecoder decoder;
  std::vector<runtime::docker::Frame> frames;
  decoder.Feed(framed, frames);
  EXPECT_FALSE(decoder.mid_frame());
  EXPECT_FALSE(decoder.raw());
  Split split;
  for (const auto& frame : frames) (frame.stream == 2 ? split.err : split.out) += frame.data;
  return split;
}

class EngineAccessTest : public runtime::DockerRuntimeTest {
 protected:
  // A running container that sleeps; `spec` may add to it.
  std::string Sleeper(Cleanup& cleanup, const std::string& name, ContainerSpec spec = {}) {
    spec.name = Name(name);
    if (spec.cmd.empty()) spec.cmd = {"sleep", "infinity"};
    return Run(cleanup, std::move(spec));
  }

  std::unique_ptr<SessionProcess> Exec(EngineAccess& access, ExecRequest request) {
    auto session = access.Exec(request);
    EXPECT_TRUE(session) << session.error().message;
    return session ? std::move(*session) : nullptr;
  }

  // Waits until the exec that `session`'s output belongs to is running, then signals it
  // (the engine reports its pid only once it runs).
  Status SignalWhenRunning(SessionProcess& session, int signal) {
    Status sent = Unexpected(ErrorCode::kInternal, "not tried");
    runtime::WaitFor([&] { return static_cast<bool>(sent = session.Signal(signal)); }, 30s);
    return sent;
  }
};

TEST_F(EngineAccessTest, ExecPassesStdinAndKeepsStderrApart) {
  Cleanup cleanup(runtime());
  std::string id = Sleeper(cleanup, "exec");
  ASSERT_FALSE(id.empty());
  EngineAccess access(runtime());

  auto session = Exec(access, {.container_id = id,
                               .cmd = {"/bin/sh", "-c", "cat; echo \"done $GREETING\" >&2; exit 3"},
                               .env = {{"GREETING", "hi there"}}});
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->stdin_fd(), session->stdout_fd());
  EXPECT_EQ(session->stderr_fd(), -1);
  EXPECT_TRUE(session->multiplexed());
  // Ctrl-P then Ctrl-Q, each alone, as binary input may bring them: Podman's default detach
  // keys would hold back the first and end the attach at the second.
  std::string framed;
  for (char key : {'\x10', '\x11'}) {
    WriteAll(session->stdin_fd(), std::string(1, key));
    std::string echo = std::string("\x01\0\0\0\0\0\0\x01", 8) + key;
    framed += ReadUntil(session->stdout_fd(), echo, 30s);
    ASSERT_THAT(framed, HasSubstr(echo)) << "a lone " << int(key) << " was held back";
  }
  WriteAll(session->stdin_fd(), "hello\n");
  session->CloseStdin();
  Split output = Decode(framed + ReadUntil(session->stdout_fd()));
  EXPECT_EQ(output.out, "\x10\x11hello\n");
  EXPECT_EQ(output.err, "done hi there\n");
  auto code = session->Wait();
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, 3);

  // A megabyte through cat and back, as sftp would move it.
  auto big = Exec(access, {.container_id = id, .cmd = {"cat"}});
  ASSERT_NE(big, nullptr);
  std::string data;
  for (int i = 0; data.size() < (1 << 20); ++i) data += std::to_string(i) + ",";
  std::thread writer([&] {
    WriteAll(big->stdin_fd(), data);
    big->CloseStdin();
  });
  Split echoed = Decode(ReadUntil(big->stdout_fd()));
  writer.join();
  EXPECT_EQ(echoed.out.size(), data.size());
  EXPECT_TRUE(echoed.out == data);
  auto big_code = big->Wait();
  ASSERT_TRUE(big_code) << big_code.error().message;
  EXPECT_EQ(*big_code, 0);
}

TEST_F(EngineAccessTest, TerminalHasTheRequestedSizeAndFollowsResizes) {
  Cleanup cleanup(runtime());
  std::string id = Sleeper(cleanup, "tty");
  ASSERT_FALSE(id.empty());
  EngineAccess access(runtime());
  auto session = Exec(access, {.container_id = id,
                               .cmd = {"/bin/sh", "-c",
                                       "stty size; read line; stty size; printf 'got %s\\n' "
                                       "\"$line\" | od -c | head -1; exit 5"},
                               .tty = true,
                               .rows = 40,
                               .cols = 120});
  ASSERT_NE(session, nullptr);
  EXPECT_FALSE(session->multiplexed());
  std::string first = ReadUntil(session->stdout_fd(), "40 120\r\n");
  EXPECT_THAT(first, HasSubstr("40 120\r\n"));
  session->Resize(50, 132);
  // Ctrl-P alone is echoed at once: Podman's default detach keys would hold it back.
  WriteAll(session->stdin_fd(), "\x10");
  EXPECT_THAT(ReadUntil(session->stdout_fd(), "^P", 30s), HasSubstr("^P"));
  WriteAll(session->stdin_fd(), "x\n");
  std::string rest = ReadUntil(session->stdout_fd());
  EXPECT_THAT(rest, HasSubstr("50 132\r\n"));
  EXPECT_THAT(rest, HasSubstr("020   x"));  // od -c shows Ctrl-P as octal 020
  auto code = session->Wait();
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, 5);
}

TEST_F(EngineAccessTest, SignalsReachTheProcess) {
  Cleanup cleanup(runtime());
  std::string id = Sleeper(cleanup, "signal");
  ASSERT_FALSE(id.empty());
  EngineAccess access(runtime());

  auto sleeper = Exec(access, {.container_id = id, .cmd = {"sleep", "300"}});
  ASSERT_NE(sleeper, nullptr);
  Status sent = SignalWhenRunning(*sleeper, SIGTERM);
  ASSERT_TRUE(sent) << sent.error().message;
  ReadUntil(sleeper->stdout_fd());
  auto code = sleeper->Wait();
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, 128 + SIGTERM);
  auto late = sleeper->Signal(SIGTERM);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);

  // With a terminal, the process group gets it: the shell's trap runs.
  auto shell = Exec(access, {.container_id = id,
                             .cmd = {"/bin/sh", "-c",
                                     "trap 'echo trapped; exit 7' INT; echo ready; "
                                     "while :; do sleep 0.1; done"},
                             .tty = true});
  ASSERT_NE(shell, nullptr);
  ReadUntil(shell->stdout_fd(), "ready");
  sent = SignalWhenRunning(*shell, SIGINT);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_THAT(ReadUntil(shell->stdout_fd()), HasSubstr("trapped"));
  auto shell_code = shell->Wait();
  ASSERT_TRUE(shell_code) << shell_code.error().message;
  EXPECT_EQ(*shell_code, 7);
}

TEST_F(EngineAccessTest, HangupEndsTheProcessEvenWhenItIgnoresSighup) {
  Cleanup cleanup(runtime());
  std::string id = Sleeper(cleanup, "hangup");
  ASSERT_FALSE(id.empty());
  EngineAccess access(runtime(), {.kill_after = 1s});

  auto sleeper = Exec(access, {.container_id = id, .cmd = {"sleep", "300"}});
  ASSERT_NE(sleeper, nullptr);
  sleeper->Hangup();
  ReadUntil(sleeper->stdout_fd());  // EOF once sleep is gone
  auto code = sleeper->Wait();
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, 128 + SIGHUP);

  auto stubborn =
      Exec(access, {.container_id = id,
                    .cmd = {"/bin/sh", "-c", "trap '' HUP; echo ready; while :; do sleep 1; done"},
                    .tty = true});
  ASSERT_NE(stubborn, nullptr);
  ReadUntil(stubborn->stdout_fd(), "ready");
  stubborn->Hangup();
  ReadUntil(stubborn->stdout_fd());
  auto stubborn_code = stubborn->Wait();
  ASSERT_TRUE(stubborn_code) << stubborn_code.error().message;
  EXPECT_EQ(*stubborn_code, 128 + SIGKILL);

  // A session dropped while its process runs takes the process with it.
  const std::string sleep_301(
      "sleep\0"
      "301\0",
      10);
  {
    auto dropped = Exec(access, {.container_id = id, .cmd = {"sleep", "301"}});
    ASSERT_NE(dropped, nullptr);
    ASSERT_TRUE(runtime::WaitFor([&] { return RunsIn(id, sleep_301); }));
  }
  EXPECT_TRUE(runtime::WaitFor([&] { return !RunsIn(id, sleep_301); })) << "sleep 301 still runs";
}

TEST_F(EngineAccessTest, DialsFromInsideTheContainer) {
  Cleanup cleanup(runtime());
  std::string network = Name("net");
  auto created = runtime().CreateNetwork({.name = network});
  ASSERT_TRUE(created) << created.error().message;
  cleanup.Network(network);
  // Cleanup removes in reverse order: containers before the network.
  std::string local =
      Sleeper(cleanup, "dial-local",
              {.cmd = Greeter("127.0.0.1:7000", "hi from loopback"), .network = network});
  std::string other = Sleeper(
      cleanup, "dial-other",
      {.cmd = Greeter("0.0.0.0:7001", "hi from other"), .network = network, .aliases = {"other"}});
  ASSERT_FALSE(local.empty());
  ASSERT_FALSE(other.empty());
  auto other_info = runtime().InspectContainer(other);
  ASSERT_TRUE(other_info && *other_info);
  std::string other_ip = (*other_info)->ip;
  ASSERT_FALSE(other_ip.empty());

  EngineAccess access(runtime());
  auto greeting = [&](const std::string& container, const std::string& ip, int port) {
    std::string got;
    runtime::WaitFor([&] {
      auto socket = access.Dial(container, ip, port, 5s);
      if (!socket) return false;
      got = ReadUntil(socket->get());
      return !got.empty();
    });
    return got;
  };
  EXPECT_EQ(greeting(local, "127.0.0.1", 7000), "hi from loopback\n");
  EXPECT_EQ(greeting(local, other_ip, 7001), "hi from other\n");

  auto closed = access.Dial(local, "127.0.0.1", 7999, 5s);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, ErrorCode::kUnavailable) << closed.error().message;
  // The other container's loopback is not this one's.
  auto elsewhere = access.Dial(other, "127.0.0.1", 7000, 5s);
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kUnavailable) << elsewhere.error().message;

  // Nor is the host's: a listener on the host's 127.0.0.1 cannot be reached.
  int host = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(host, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(host, 4), 0);
  ASSERT_EQ(getsockname(host, reinterpret_cast<sockaddr*>(&address), &length), 0);
  auto host_port = access.Dial(local, "127.0.0.1", ntohs(address.sin_port), 5s);
  close(host);
  ASSERT_FALSE(host_port);
  EXPECT_EQ(host_port.error().code, ErrorCode::kUnavailable);

  EXPECT_EQ(access.Dial(local, "not-an-ip", 80, 5s).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(access.Dial(local, "127.0.0.1", 0, 5s).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(access.Dial(Name("no-such"), "127.0.0.1", 80, 5s).error().code, ErrorCode::kNotFound);
}

TEST_F(EngineAccessTest, RefusesContainersThatDoNotRun) {
  Cleanup cleanup(runtime());
  std::string id = Sleeper(cleanup, "stopped");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(runtime().StopContainer(id, 1s));
  EngineAccess access(runtime());
  auto stopped = access.Exec({.container_id = id, .cmd = {"true"}});
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kFailedPrecondition) << stopped.error().message;
  auto gone = access.Exec({.container_id = Name("no-such"), .cmd = {"true"}});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound) << gone.error().message;
  auto dial = access.Dial(id, "127.0.0.1", 80, 5s);
  ASSERT_FALSE(dial);
  EXPECT_EQ(dial.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace yard::ssh
