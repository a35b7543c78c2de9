#include "http/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/client.h"

namespace yard::http {
namespace {

using std::chrono::milliseconds;

// Runs a Server on its own thread for the duration of a test.
class ServerFixture : public ::testing::Test {
 protected:
  void Start(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(
        io_,
        [this](const Request& request) {
          ++handled_;
          if (request.path == "/stream") return Streamed(request);
          Response response;
          response.body = request.method + " " + request.path + " " + request.body;
          response.content_type = "text/plain";
          if (request.path == "/status/418") response.status = 418;
          return response;
        },
        options);
    ASSERT_TRUE(server_->Start());
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) {
      boost::asio::post(io_, [this] { server_->Stop(); });
    }
    if (thread_.joinable()) thread_.join();
  }

  // /stream?n=N sends "0\n" ... "N-1\n", one call each; without n it never ends by itself.
  Response Streamed(const Request& request) {
    int n = request.query.contains("n") ? std::stoi(request.query.at("n")) : -1;
    auto next = std::make_shared<int>(0);
    Response response{.content_type = "text/plain"};
    response.stream = [this, n, next](std::string& chunk, bool stopping) {
      ++stream_calls_;
      if (stopping) return false;
      if (n < 0) return true;  // nothing ready, ever
      chunk = std::to_string((*next)++) + "\n";
      return *next < n;
    };
    return response;
  }

  Client MakeClient() {
    return Client(Endpoint{.host = "127.0.0.1", .port = std::to_string(server_->port())});
  }

  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> handled_{0};
  std::atomic<int> stream_calls_{0};
};

TEST_F(ServerFixture, ServesRequests) {
  Start();
  auto response = MakeClient().Send({.method = "POST", .target = "/echo?x=1", .body = "hi"},
                                    milliseconds(5000));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /echo hi");
  EXPECT_EQ(response->content_type, "text/plain");
  auto teapot = MakeClient().Send({.target = "/status/418"}, milliseconds(5000));
  ASSERT_TRUE(teapot);
  EXPECT_EQ(teapot->status, 418);
}

TEST_F(ServerFixture, RejectsOversizedBodiesWithoutCallingTheHandler) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  Start(options);
  auto response = MakeClient().Send({.method = "POST", .target = "/", .body = std::string(1001, 'x')},
                                    milliseconds(5000));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("too_large"), std::string::npos);
  EXPECT_EQ(handled_, 0);
  auto fits = MakeClient().Send({.method = "POST", .target = "/", .body = std::string(1000, 'x')},
                                milliseconds(5000));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

TEST_F(ServerFixture, RejectsMalformedTargets) {
  Start();
  auto response = MakeClient().Send({.target = "/bad%zz"}, milliseconds(5000));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(handled_, 0);
}

TEST_F(ServerFixture, StopLetsTheLoopFinish) {
  Start();
  ASSERT_TRUE(MakeClient().Send({.target = "/"}, milliseconds(5000)));
  boost::asio::post(io_, [this] { server_->Stop(); });
  thread_.join();  // returns only if Stop left no work behind
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST(ServerStartTest, ReportsBadAddresses) {
  boost::asio::io_context io;
  Server bad_host(io, [](const Request&) { return Response{}; }, {.host = "not-an-ip"});
  Status status = bad_host.Start();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);

  Server first(io, [](const Request&) { return Response{}; }, {});
  ASSERT_TRUE(first.Start());
  Server second(io, [](const Request&) { return Response{}; }, {.port = first.port()});
  Status in_use = second.Start();
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().code, ErrorCode::kIo);
}

TEST(ClientTest, ReportsUnreachableServers) {
  // Bind a port and close it again, so that nothing listens there.
  boost::asio::io_context io;
  uint16_t port = 0;
  {
    Server server(io, [](const Request&) { return Response{}; }, {});
    ASSERT_TRUE(server.Start());
    port = server.port();
  }
  Client client(Endpoint{.host = "127.0.0.1", .port = std::to_string(port)});
  auto response = client.Send({}, milliseconds(5000));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  Client unix_client(Endpoint{.kind = Endpoint::Kind::kUnix, .path = "/nonexistent.sock"});
  EXPECT_EQ(unix_client.Send({}, milliseconds(5000)).error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace yard::http

namespace yard::http {
namespace {

TEST(ClientTest, TimesOutOnSilentServers) {
  // A listening socket that never accepts: the connection completes, no answer ever comes.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  Client client(Endpoint{.host = "127.0.0.1",
                         .port = std::to_string(acceptor.local_endpoint().port())});
  auto response = client.Send({}, std::chrono::milliseconds(300));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kTimeout);
}

TEST_F(ServerFixture, StreamsABodyInChunksUntilItEnds) {
  Start();
  std::string body;
  auto response = MakeClient().SendStreaming({.target = "/stream?n=5"}, milliseconds(5000),
                                             [&](std::string_view chunk) { body += chunk; });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(body, "0\n1\n2\n3\n4\n");
}

TEST_F(ServerFixture, AStreamStopsWhenItsClientLeaves) {
  Start();
  std::atomic<bool> cancel{false};
  std::thread leaver([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel = true;
  });
  auto response = MakeClient().SendStreaming({.target = "/stream", .cancel = &cancel},
                                             milliseconds(5000), [](std::string_view) {});
  leaver.join();
  EXPECT_FALSE(response);
  // The producer is no longer called once the server noticed (within a few of its calls).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int calls = stream_calls_;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(200));
    if (stream_calls_ == calls) break;
    calls = stream_calls_;
  }
  EXPECT_EQ(stream_calls_, calls);
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ServerFixture, StopEndsStreamsUnderWay) {
  Start();
  std::string body;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    boost::asio::post(io_, [this] { server_->Stop(); });
  });
  auto response = MakeClient().SendStreaming({.target = "/stream"}, milliseconds(10000),
                                             [&](std::string_view chunk) { body += chunk; });
  stopper.join();
  ASSERT_TRUE(response) << response.error().message;  // ended properly, not cut
  thread_.join();
}

}  // namespace
}  // namespace yard::http