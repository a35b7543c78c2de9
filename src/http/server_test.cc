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

  Client MakeClient() {
    return Client(Endpoint{.host = "127.0.0.1", .port = std::to_string(server_->port())});
  }

  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> handled_{0};
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

}  // namespace
}  // namespace yard::http
