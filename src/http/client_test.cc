// Client::Upgrade and cancels against a scripted server on a unix socket.

#include "http/client.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace yard::http {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// Accepts one connection, reads the request head and hands the socket to `script`, which
// answers however the test wants.
class ScriptedServer {
 public:
  using Script = std::function<void(int fd, const std::string& request_head)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    char pattern[] = "/tmp/yard-http-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/s.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listen_fd_, 4) != 0) {
      ADD_FAILURE() << "cannot listen on " << path_;
    }
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  Client MakeClient() const {
    return Client(Endpoint{.kind = Endpoint::Kind::kUnix, .path = path_});
  }

 private:
  void Serve() {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && read(fd, &c, 1) == 1) head += c;
    // The request's body too, so that only what the client sends after it is left.
    size_t at = head.find("Content-Length: ");
    size_t length = at == std::string::npos ? 0 : std::strtoul(head.c_str() + at + 16, nullptr, 10);
    for (size_t i = 0; i < length && read(fd, &c, 1) == 1; ++i) {
    }
    script_(fd, head);
    close(fd);
  }

  Script script_;
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::thread thread_;
};

void Send(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until EOF (the socket is blocking).
std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

ClientRequest StartRequest() {
  return {.method = "POST", .target = "/v1.41/exec/e1/start", .body = R"({"Detach":false})"};
}

TEST(ClientUpgradeTest, HandsOverTheBytesAfterTheHead) {
  std::string seen_head;
  ScriptedServer server([&](int fd, const std::string& head) {
    seen_head = head;
    // The head and the stream's first bytes in one write, as a fast process makes them.
    Send(fd,
         "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
         "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst bytes|");
    // Then echo what the client sends until it half-closes.
    std::string input = ReadAll(fd);
    Send(fd, "echo:" + input);
  });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(5000));
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_EQ(upgraded->status, 101);
  EXPECT_EQ(upgraded->content_type, "application/vnd.docker.raw-stream");
  ASSERT_TRUE(upgraded->socket.valid());
  int fd = upgraded->socket.get();
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "the socket is handed over blocking";
  EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  Send(fd, "hello");
  ASSERT_EQ(shutdown(fd, SHUT_WR), 0);
  EXPECT_EQ(ReadAll(fd), "first bytes|echo:hello");

  EXPECT_THAT(seen_head, HasSubstr("POST /v1.41/exec/e1/start HTTP/1.1\r\n"));
  EXPECT_THAT(seen_head, HasSubstr("Connection: Upgrade\r\n"));
  EXPECT_THAT(seen_head, HasSubstr("Upgrade: tcp\r\n"));
}

TEST(ClientUpgradeTest, TakesAHeadThatArrivesInPieces) {
  ScriptedServer server([](int fd, const std::string&) {
    std::string answer = "HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n\x01\x02rest";
    for (char c : answer) {
      Send(fd, std::string(1, c));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(5000));
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_EQ(upgraded->status, 101);
  EXPECT_EQ(ReadAll(upgraded->socket.get()), "\x01\x02rest");
}

TEST(ClientUpgradeTest, AcceptsARawStreamAnsweredWith200) {
  ScriptedServer server([](int fd, const std::string&) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
    Send(fd, std::string("\x01\0\0\0\0\0\0\x03hi\n", 11));
  });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(5000));
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_EQ(upgraded->status, 200);
  EXPECT_EQ(ReadAll(upgraded->socket.get()), std::string("\x01\0\0\0\0\0\0\x03hi\n", 11));
}

TEST(ClientUpgradeTest, ReturnsTheErrorBodyOfARefusal) {
  ScriptedServer server([](int fd, const std::string&) {
    std::string body =
        R"({"cause":"no such exec session","message":"no such exec","response":404})";
    Send(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(5000));
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_EQ(upgraded->status, 404);
  EXPECT_FALSE(upgraded->socket.valid());
  EXPECT_THAT(upgraded->body, HasSubstr("no such exec"));
}

TEST(ClientUpgradeTest, ReadsAnErrorBodyThatEndsWithTheConnection) {
  ScriptedServer server([](int fd, const std::string&) {
    Send(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nbroken");
  });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(5000));
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_EQ(upgraded->status, 500);
  EXPECT_EQ(upgraded->body, "broken");
}

TEST(ClientUpgradeTest, TimesOutWhenTheHeadDoesNotCome) {
  ScriptedServer server([](int fd, const std::string&) {
    Send(fd, "HTTP/1.1 101 UPGRADED\r\n");  // and nothing more until the client gives up
    pollfd wait{fd, POLLIN, 0};
    poll(&wait, 1, 5000);
  });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(200));
  ASSERT_FALSE(upgraded);
  EXPECT_EQ(upgraded.error().code, ErrorCode::kTimeout);
}

TEST(ClientUpgradeTest, ConnectionClosedBeforeTheHeadIsAnError) {
  ScriptedServer server([](int fd, const std::string&) { Send(fd, "HTTP/1.1 101 UPGR"); });
  auto upgraded = server.MakeClient().Upgrade(StartRequest(), milliseconds(5000));
  ASSERT_FALSE(upgraded);
  EXPECT_EQ(upgraded.error().code, ErrorCode::kIo);
}

TEST(ClientUpgradeTest, UnreachableServerIsUnavailable) {
  Client client(Endpoint{.kind = Endpoint::Kind::kUnix, .path = "/nonexistent/yard-test.sock"});
  auto upgraded = client.Upgrade(StartRequest(), milliseconds(1000));
  ASSERT_FALSE(upgraded);
  EXPECT_EQ(upgraded.error().code, ErrorCode::kUnavailable);
}

// Waits until the client closes its end: true when it did within `limit`.
bool WaitForClose(int fd, milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd wait{fd, POLLIN, 0};
    if (poll(&wait, 1, 100) > 0 && read(fd, buffer, sizeof(buffer)) <= 0) return true;
  }
  return false;
}

TEST(ClientCancelTest, CancelWhileTheServerSaysNothingClosesTheConnection) {
  std::atomic<bool> closed = false;
  std::optional<ScriptedServer> server;
  server.emplace([&](int fd, const std::string&) {
    closed = WaitForClose(fd, milliseconds(30000));  // and never answers
  });
  std::atomic<bool> cancel = false;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel = true;
  });
  ClientRequest request{.method = "POST", .target = "/build", .body = "context"};
  request.cancel = &cancel;
  const auto start = std::chrono::steady_clock::now();
  auto response =
      server->MakeClient().SendStreaming(request, milliseconds(60000), [](std::string_view) {});
  canceller.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kCancelled);
  EXPECT_THAT(response.error().message, HasSubstr("cancelled"));
  // A bound against hangs, far above the poll interval: the timeout was a minute.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  server.reset();  // waits for the script
  EXPECT_TRUE(closed) << "the server did not see the connection close";
}

TEST(ClientCancelTest, CancelFromTheBodySinkKeepsWhatArrived) {
  std::atomic<bool> closed = false;
  std::optional<ScriptedServer> server;
  server.emplace([&](int fd, const std::string&) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"stream\":\"one\"}\n");
    closed = WaitForClose(fd, milliseconds(30000));
  });
  std::atomic<bool> cancel = false;
  ClientRequest request{.method = "POST", .target = "/build"};
  request.cancel = &cancel;
  std::string body;
  auto response =
      server->MakeClient().SendStreaming(request, milliseconds(60000), [&](std::string_view chunk) {
        body += chunk;
        cancel = true;
      });
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(body, "{\"stream\":\"one\"}\n");
  server.reset();
  EXPECT_TRUE(closed) << "the server did not see the connection close";
}

TEST(ClientCancelTest, AlreadyCancelledSendsNothing) {
  std::atomic<bool> cancel = true;
  ClientRequest request;
  request.cancel = &cancel;
  Client client(Endpoint{.kind = Endpoint::Kind::kUnix, .path = "/nonexistent/yard-test.sock"});
  auto response = client.Send(request, milliseconds(1000));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kCancelled);
}

TEST(ClientCancelTest, AnUnsetFlagChangesNothing) {
  ScriptedServer server([](int fd, const std::string&) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  std::atomic<bool> cancel = false;
  ClientRequest request;
  request.cancel = &cancel;
  auto response = server.MakeClient().Send(request, milliseconds(5000));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
}

}  // namespace
}  // namespace yard::http
