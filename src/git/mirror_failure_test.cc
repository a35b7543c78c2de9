// Mirror against remotes that fail: refused connections, silence, authentication. Only
// loopback addresses are used; every case must fail fast, say why, and leave nothing behind.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/process.h"
#include "git/bare_repository.h"
#include "git/test_repo.h"
#include "testing/temp_dir.h"

namespace yard::git {
namespace {

using testing::DirEntries;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::chrono::seconds kTimeout{60};

class RemoteFailureMirrorTest : public ::testing::Test {
 protected:
  yard::testing::TempDir repos_;
};

TEST_F(RemoteFailureMirrorTest, UnreachableHostFailsQuickly) {
  auto start = std::chrono::steady_clock::now();
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto repo = BareRepository::Mirror("http://user:hunter2@127.0.0.1:1/x.git",
                                     repos_.File("mirror.git"), kTimeout);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, ErrorCode::kUnavailable) << repo.error().message;
  EXPECT_THAT(repo.error().message, HasSubstr("cannot be reached"));
  EXPECT_THAT(repo.error().message, Not(HasSubstr("hunter2")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTimeout);  // a hang, not a timing check
  EXPECT_THAT(DirEntries(repos_.path()), IsEmpty());
}

TEST_F(RemoteFailureMirrorTest, SshNeverPrompts) {
  if (!FindExecutable("ssh")) GTEST_SKIP() << "no ssh client installed";
  // BatchMode: a refused connection is reported, nothing waits on /dev/tty.
  auto repo =
      BareRepository::Mirror("ssh://git@127.0.0.1:1/x.git", repos_.File("mirror.git"), kTimeout);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, ErrorCode::kUnavailable) << repo.error().message;
  EXPECT_THAT(repo.error().message, HasSubstr("Connection refused"));
  EXPECT_THAT(DirEntries(repos_.path()), IsEmpty());
}

TEST_F(RemoteFailureMirrorTest, SilentServerTimesOut) {
  // A loopback socket that completes TCP handshakes (the backlog) but never answers.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/x.git";
  auto repo = BareRepository::Mirror(url, repos_.File("mirror.git"), std::chrono::seconds(2));
  ::close(fd);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, ErrorCode::kTimeout) << repo.error().message;
  EXPECT_THAT(repo.error().message, HasSubstr("did not answer in time"));
  EXPECT_THAT(DirEntries(repos_.path()), IsEmpty());
}

// A loopback HTTP server that answers every request with 401, like a private repository.
class UnauthorizedServer {
 public:
  UnauthorizedServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~UnauthorizedServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (true) {
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t got = ::read(client, buffer, sizeof(buffer));
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
      }
      std::string_view response =
          "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n"
          "Content-Length: 0\r\nConnection: close\r\n\r\n";
      [[maybe_unused]] ssize_t written = ::write(client, response.data(), response.size());
      ::close(client);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(RemoteFailureMirrorTest, PrivateRemoteFailsWithoutPrompting) {
  UnauthorizedServer server;
  for (std::string user : {"", "bob:hunter2@"}) {
    std::string url = "http://" + user + "127.0.0.1:" + std::to_string(server.port()) + "/x.git";
    auto repo = BareRepository::Mirror(url, repos_.File("mirror.git"), kTimeout);
    ASSERT_FALSE(repo) << url;
    EXPECT_EQ(repo.error().code, ErrorCode::kPermissionDenied) << repo.error().message;
    EXPECT_THAT(repo.error().message, HasSubstr("requires authentication"));
    EXPECT_THAT(repo.error().message, Not(HasSubstr("hunter2")));
    EXPECT_THAT(DirEntries(repos_.path()), IsEmpty());
  }
}

}  // namespace
}  // namespace yard::git
