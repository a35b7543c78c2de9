// The gateway with the real OpenSSH client on loopback. The deployment side is faked
// (local_access_fake.h): "containers" are local processes, so that these tests need no engine
// and still exercise real EOFs, exit statuses, terminals and backpressure.

#include "ssh/gateway.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "ssh/gateway_test_fixture.h"

namespace yard::ssh {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A TCP server on 127.0.0.1 that answers every connection with "hello from PORT\n" followed
// by whatever it receives, then closes when the client does.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    MUST_OK(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    ::listen(fd_, 16);
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        std::string hello = "hello from " + std::to_string(port_) + "\n";
        (void)!::write(client, hello.data(), hello.size());
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(client, buffer, sizeof(buffer))) > 0) (void)!::write(client, buffer, n);
        ::close(client);
      }
    });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  static void MUST_OK(bool ok) {
    if (!ok) std::abort();
  }
  int fd_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(GatewayTest, CommandOutputErrorsAndExitStatusComeBack) {
  StartGateway();
  auto result = Ssh(alice_, "dev.shop", {"echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3) << result.stderr_data;
  EXPECT_EQ(result.stdout_data, "out\n");
  EXPECT_THAT(result.stderr_data, HasSubstr("err\n"));
  ASSERT_FALSE(access_.requests().empty());
  const ExecRequest request = access_.requests().back();
  EXPECT_EQ(request.container_id, "web-container");
  EXPECT_FALSE(request.tty);
  EXPECT_GE(directory_.keys_used(), 1);
}

TEST_F(GatewayTest, InputReachesTheCommandAndItsEndEndsIt) {
  StartGateway();
  auto result = Ssh(alice_, "dev.shop", {"cat; echo; echo done"}, "abc");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
  EXPECT_EQ(result.stdout_data, "abc\ndone\n");
}

TEST_F(GatewayTest, MegabytesFlowBothWaysAtOnce) {
  StartGateway();
  std::string data(6 * 1024 * 1024, '\0');
  std::mt19937 random(42);
  for (char& c : data) c = static_cast<char>(random());
  auto result = Ssh(alice_, "dev.shop", {"cat"}, data);
  EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
  EXPECT_EQ(result.stdout_data.size(), data.size());
  EXPECT_TRUE(result.stdout_data == data) << "the bytes came back changed";
}

TEST_F(GatewayTest, ClientVariablesAreFilteredAndTheGatewaySaysWhoIsThere) {
  StartGateway();
  auto result = Ssh(alice_, "dev.shop", {"echo \"$LANG|$EVIL|$STACKYARD_USER|${SSH_CONNECTION%% *}\""},
                    std::nullopt, {"-o", "SetEnv=LANG=C.UTF-8 EVIL=1"});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
  EXPECT_EQ(result.stdout_data, "C.UTF-8||alice|127.0.0.1\n");
}

TEST_F(GatewayTest, ATerminalGetsItsSize) {
  StartGateway();
  auto result = Ssh(alice_, "dev.shop", {"stty size; echo term=$TERM"}, std::nullopt, {"-tt"});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
  EXPECT_THAT(result.stdout_data, HasSubstr("24 80"));
  ASSERT_FALSE(access_.requests().empty());
  EXPECT_TRUE(access_.requests().back().tty);
}

TEST_F(GatewayTest, SftpAndScpWork) {
  StartGateway();
  std::string local = dir_.File("local.txt");
  std::string remote = dir_.File("remote.txt");
  MUST(fs::AtomicWriteFile(local, "file body\n", 0644));
  std::vector<std::string> argv = {"scp", "-q", "-F", "/dev/null", "-i", alice_.path,
                                   "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                                   "-o", "UserKnownHostsFile=" + known_hosts_,
                                   "-P", std::to_string(gateway_->port()), local,
                                   "dev.shop@127.0.0.1:" + remote};
  auto copied = MUST(RunProcess({.argv = argv, .timeout = 60s}));
  ASSERT_EQ(copied.exit_code, 0) << copied.stderr_data;
  EXPECT_EQ(MUST(fs::ReadFile(remote)), "file body\n");
}

TEST_F(GatewayTest, UnknownKeysAreToldWhatToDo) {
  StartGateway();
  auto result = Ssh(stranger_, "dev.shop", {"true"});
  EXPECT_EQ(result.exit_code, 255);
  EXPECT_THAT(result.stderr_data, HasSubstr("is not registered with Stackyard"));
  EXPECT_THAT(result.stderr_data, HasSubstr("Permission denied"));
  EXPECT_TRUE(access_.requests().empty());
}

TEST_F(GatewayTest, UsersOutsideTheProjectAreRefused) {
  StartGateway();
  auto result = Ssh(bob_, "dev.shop", {"true"});
  EXPECT_EQ(result.exit_code, 255);
  EXPECT_THAT(result.stderr_data, HasSubstr("yard: no project shop that you can reach"));
  EXPECT_TRUE(access_.requests().empty());
}

TEST_F(GatewayTest, BadUserNamesAndUnknownTargetsAreExplained) {
  StartGateway();
  auto malformed = Ssh(alice_, "a.b.c.d", {"true"});
  EXPECT_EQ(malformed.exit_code, 255);
  EXPECT_THAT(malformed.stderr_data, HasSubstr("yard: "));
  auto no_deployment = Ssh(alice_, "prod.shop", {"true"});
  EXPECT_EQ(no_deployment.exit_code, 255);
  EXPECT_THAT(no_deployment.stderr_data, HasSubstr("has no deployment prod"));
  auto no_component = Ssh(alice_, "cache.dev.shop", {"true"});
  EXPECT_EQ(no_component.exit_code, 1);
  EXPECT_THAT(no_component.stderr_data, HasSubstr("yard: no component cache"));
}

TEST_F(GatewayTest, ForwardsReachTheContainerAndTheDeploymentOnly) {
  StartGateway();
  EchoServer echo;
  std::string port = std::to_string(echo.port());
  auto local = Ssh(alice_, "dev.shop", {}, "ping\n", {"-W", "localhost:" + port});
  EXPECT_EQ(local.exit_code, 0) << local.stderr_data;
  EXPECT_EQ(local.stdout_data, "hello from " + port + "\nping\n");
  auto service = Ssh(alice_, "dev.shop", {}, "pong\n", {"-W", "db:" + port});
  EXPECT_EQ(service.exit_code, 0) << service.stderr_data;
  EXPECT_EQ(service.stdout_data, "hello from " + port + "\npong\n");
  auto outside = Ssh(alice_, "dev.shop", {}, "x\n", {"-W", "10.1.2.3:" + port});
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_THAT(outside.stderr_data, HasSubstr("administratively prohibited"));
}

TEST_F(GatewayTest, TwentySessionsAtOnceAllFinish) {
  StartGateway();
  constexpr int kSessions = 20;
  std::vector<ProcessResult> results(kSessions);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Ssh(alice_, "dev.shop", {"sleep 0.5; echo ok " + std::to_string(i)});
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kSessions; ++i) {
    EXPECT_EQ(results[i].exit_code, 0) << i << ": " << results[i].stderr_data;
    EXPECT_EQ(results[i].stdout_data, "ok " + std::to_string(i) + "\n");
  }
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until EOF or `limit`; true at EOF.
bool ClosedWithin(int fd, std::chrono::seconds limit) {
  timeval timeout{.tv_sec = static_cast<time_t>(limit.count()), .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

TEST_F(GatewayTest, GarbageAndSilenceNeitherCrashNorStallTheGateway) {
  GatewayOptions options;
  options.login_grace = 2s;
  StartGateway(options);
  std::mt19937 random(7);
  std::vector<int> sockets;
  for (int i = 0; i < 8; ++i) {
    int fd = Connect(gateway_->port());
    ASSERT_GE(fd, 0);
    std::string junk(1000 + i * 3000, '\0');
    for (char& c : junk) c = static_cast<char>(random());
    if (i % 2 == 0) junk = "SSH-2.0-OpenSSH_9.2\r\n" + junk;  // a banner, then nonsense
    (void)!::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    sockets.push_back(fd);
  }
  int silent = Connect(gateway_->port());
  ASSERT_GE(silent, 0);
  auto fine = Ssh(alice_, "dev.shop", {"echo still here"});
  EXPECT_EQ(fine.exit_code, 0) << fine.stderr_data;
  EXPECT_EQ(fine.stdout_data, "still here\n");
  // The silent one is cut once its login grace is over (generous bound: no timing asserted).
  EXPECT_TRUE(ClosedWithin(silent, 60s));
  for (int fd : sockets) EXPECT_TRUE(ClosedWithin(fd, 60s));
  ::close(silent);
  for (int fd : sockets) ::close(fd);
}

TEST_F(GatewayTest, TheHostKeyStaysTheSameAcrossRestarts) {
  StartGateway();
  std::vector<HostKey> before = gateway_->host_keys();
  gateway_->Stop();
  StartGateway();
  ASSERT_EQ(gateway_->host_keys().size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(gateway_->host_keys()[i].public_line, before[i].public_line);
  }
  auto result = Ssh(alice_, "dev.shop", {"true"});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
}

}  // namespace
}  // namespace yard::ssh
