// What a hostile or broken client can send to the real server over TCP: every test ends by
// checking that the server still runs and answers /healthz.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "raw_http.h"
#include "testing/yard_server.h"
#include "server_test_base.h"

namespace yard {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::RawConnection;
using testing::RawResponse;
using testing::YardServer;
using Json = nlohmann::json;
using std::chrono::seconds;
using namespace std::string_literals;

// Generous bounds that only catch hangs.
constexpr auto kIo = seconds(10);

struct Req {
  std::string method = "GET";
  std::string path = "/healthz";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = true;
  bool content_length = true;
};

std::string Render(const Req& request) {
  std::string out = request.method + " " + request.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : request.headers) out += name + ": " + value + "\r\n";
  if (request.content_length && (!request.body.empty() || request.method == "POST")) {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  if (request.close) out += "Connection: close\r\n";
  return out + "\r\n" + request.body;
}

// The error code of a JSON error body, or a description of what the body is instead.
std::string ErrorCodeOf(const RawResponse& response) {
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_discarded()) return "(body is not JSON: " + response.body + ")";
  if (!body.contains("error") || !body["error"].is_object()) return "(no error: " + response.body + ")";
  const Json& error = body["error"];
  if (!error.contains("message") || !error["message"].is_string()) return "(no message)";
  return error.value("code", "(no code)");
}

class ApiBadInputTest : public ServerTestBase {
 protected:
  // Whatever the test did, the server must still be alive and well.
  void TearDown() override {
    ServerTestBase::TearDown();
    if (!server_ || !server_->Running()) return;
    auto health = Send(Req{});
    ASSERT_TRUE(health) << "the server no longer answers: " << health.error().message;
    EXPECT_EQ(health->status, 200);
  }

  Result<RawConnection> Connect() { return RawConnection::Connect(server_->port()); }

  // One request on a fresh connection; the response.
  Result<RawResponse> SendRaw(const std::string& bytes) {
    RawConnection connection = TRY(Connect());
    TRY(connection.Send(bytes, kIo));
    return connection.ReadResponse(kIo);
  }
  Result<RawResponse> Send(const Req& request) { return SendRaw(Render(request)); }

  std::pair<std::string, std::string> AdminAuth() const {
    return {"Authorization", "Bearer " + server_->admin_token()};
  }

  Req PostTokens(std::string body) {
    return Req{.method = "POST",
               .path = "/api/v1/users/me/tokens",
               .headers = {AdminAuth(), {"Content-Type", "application/json"}},
               .body = std::move(body)};
  }

};

TEST_F(ApiBadInputTest, HealthzNeedsNoCredentials) {
  auto response = Send(Req{});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->Header("content-type"), StartsWith("application/json"));
  EXPECT_EQ(Json::parse(response->body)["status"], "ok");
}

TEST_F(ApiBadInputTest, ApiNeedsCredentials) {
  auto response = Send(Req{.path = "/api/v1/version"});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 401);
  EXPECT_THAT(response->Header("content-type"), StartsWith("application/json"));
  EXPECT_EQ(ErrorCodeOf(*response), "unauthenticated");
  EXPECT_THAT(response->Header("www-authenticate"), StartsWith("Bearer"));

  auto with_token = Send(Req{.path = "/api/v1/version", .headers = {AdminAuth()}});
  ASSERT_TRUE(with_token);
  EXPECT_EQ(with_token->status, 200) << with_token->body;
  EXPECT_TRUE(Json::parse(with_token->body)["version"].is_string());
}

TEST_F(ApiBadInputTest, BadCredentialsAre401) {
  // The admin token with its last character changed.
  std::string altered = server_->admin_token();
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  const std::vector<std::string> values = {
      "Bearer nope",
      "Bearer yard_" + std::string(40, 'A'),
      "Bearer " + server_->admin_token() + "x",
      "Bearer " + altered,
      "Bearer",
      "Bearer ",
      "Basic YWRtaW46YWRtaW4=",
      server_->admin_token(),
      "Bearer yard_" + std::string(39, 'A') + "!",
      "Bearer  " + server_->admin_token() + " extra",
  };
  for (const auto& value : values) {
    SCOPED_TRACE(value);
    auto response = Send(Req{.path = "/api/v1/users/me", .headers = {{"Authorization", value}}});
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 401) << response->body;
    EXPECT_EQ(ErrorCodeOf(*response), "unauthenticated");
  }
  // The scheme is case-insensitive (RFC 7235).
  auto lower = Send(Req{.path = "/api/v1/users/me",
                        .headers = {{"Authorization", "bearer " + server_->admin_token()}}});
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->status, 200) << lower->body;
}

TEST_F(ApiBadInputTest, UnknownRoutesAre404Json) {
  for (const char* path : {"/nope", "/healthz/extra", "/api/v1/nope", "/api/v2/version",
                           "/api/v1/users/me/keys/1/extra"}) {
    SCOPED_TRACE(path);
    auto response = Send(Req{.path = path, .headers = {AdminAuth()}});
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(ErrorCodeOf(*response), "not_found");
  }
  // Outside /api/ is the dashboard: no credentials are needed to learn that nothing is there
  // (docs/dashboard.md); inside they are.
  auto outside = Send(Req{.path = "/nope"});
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->status, 404);
  auto page = Send(Req{.path = "/"});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>Stackyard</title>"), std::string::npos) << page->body;
  auto inside = Send(Req{.path = "/api/v1/nope"});
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->status, 401);
}

TEST_F(ApiBadInputTest, WrongMethodIs405WithAllow) {
  struct Case {
    std::string method, path, allow;
  };
  for (const Case& c : {Case{"POST", "/healthz", "GET"}, Case{"DELETE", "/api/v1/users/me", "GET"},
                        Case{"PUT", "/api/v1/users", "GET, POST"},
                        Case{"PATCH", "/api/v1/users/me/keys", "GET, POST"},
                        Case{"GET", "/api/v1/users/me/tokens/1", "DELETE"}}) {
    SCOPED_TRACE(c.method + " " + c.path);
    auto response = Send(Req{.method = c.method, .path = c.path, .headers = {AdminAuth()}});
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 405);
    EXPECT_EQ(ErrorCodeOf(*response), "method_not_allowed");
    EXPECT_EQ(response->Header("allow"), c.allow);
  }
}

TEST_F(ApiBadInputTest, MalformedJsonIs400) {
  for (const std::string& body :
       {std::string("{\"name\": "), std::string("{not json}"), std::string("{\"name\":\"x\"} trailing"),
        std::string("[]"), std::string("\"string\""), std::string("null"),
        std::string("{\"name\": 42}"), std::string("{\"unknown\": 1}"),
        std::string("{\"expires_in_days\": 1.5}"), std::string("\xEF\xBB\xBF{}x")}) {
    SCOPED_TRACE(body);
    auto response = Send(PostTokens(body));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
  }
  auto wrong_type = Send(Req{.method = "POST",
                             .path = "/api/v1/users/me/tokens",
                             .headers = {AdminAuth(), {"Content-Type", "text/plain"}},
                             .body = "{}"});
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_EQ(ErrorCodeOf(*wrong_type), "invalid_argument");
}

// A number too large for a double makes the JSON library throw out_of_range rather than a
// parse error. It must be a 400, and must not leave the connection registered: leaked
// connections would exhaust the limit and make SIGTERM wait for the whole grace time.
TEST_F(ApiBadInputTest, NumberOverflowIs400AndLeaksNothing) {
  for (const char* body : {"{\"expires_in_days\": 1e400}", "{\"name\": -1e400}", "[1e999]"}) {
    SCOPED_TRACE(body);
    auto response = Send(PostTokens(body));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
  }
  ProcessResult stopped = server_->Stop(seconds(30));
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_THAT(server_->log(), Not(HasSubstr("still open"))) << "connections leaked";
  server_.reset();
}

TEST_F(ApiBadInputTest, BodyOverOneMebibyteIs413) {
  constexpr size_t kLimit = 1024 * 1024;
  // Exactly at the limit is fine: valid JSON padded with spaces.
  std::string at_limit = "{\"name\":\"big\"}";
  at_limit.resize(kLimit, ' ');
  auto accepted = Send(PostTokens(at_limit));
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->status, 201) << accepted->body;

  std::string over = at_limit + " ";
  auto rejected = Send(PostTokens(over));
  ASSERT_TRUE(rejected) << rejected.error().message;
  EXPECT_EQ(rejected->status, 413);
  EXPECT_EQ(ErrorCodeOf(*rejected), "too_large");

  // Without credentials as well (the limit applies before routing).
  auto anonymous = Send(Req{.method = "POST", .path = "/api/v1/users/me/tokens", .body = over});
  ASSERT_TRUE(anonymous) << anonymous.error().message;
  EXPECT_EQ(anonymous->status, 413);
}

TEST_F(ApiBadInputTest, HugeDeclaredLengthIs413WithoutTheBody) {
  for (const char* length : {"2147483648", "1048577", "18446744073709551615"}) {
    SCOPED_TRACE(length);
    auto connection = Connect();
    ASSERT_TRUE(connection) << connection.error().message;
    std::string head = "POST /api/v1/users/me/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       server_->admin_token() + "\r\nContent-Type: application/json\r\n"
                       "Content-Length: " + length + "\r\n\r\n";
    ASSERT_TRUE(connection->Send(head, kIo));
    // Nothing more is sent: the answer must not wait for the body.
    auto response = connection->ReadResponse(kIo);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(ErrorCodeOf(*response), "too_large");
    EXPECT_TRUE(connection->WaitForClose(kIo)) << "the connection stays open after a 413";
  }
}

TEST_F(ApiBadInputTest, NonsenseContentLengthIs400) {
  for (const char* length : {"99999999999999999999999", "-1", "abc", "1, 2"}) {
    SCOPED_TRACE(length);
    auto response = SendRaw(std::string("POST /api/v1/users/me/tokens HTTP/1.1\r\nHost: x\r\n") +
                            "Content-Length: " + length + "\r\n\r\n{}");
    if (!response) {
      // Closing the connection is an acceptable answer to nonsense.
      EXPECT_THAT(response.error().message, HasSubstr("closed"));
      continue;
    }
    EXPECT_THAT(response->status, AnyOf(400, 413));
  }
}

TEST_F(ApiBadInputTest, ChunkedBodyOverTheLimitIs413) {
  std::string head = "POST /api/v1/users/me/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     server_->admin_token() +
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunk(64 * 1024, ' ');
  std::string body;
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
  for (int i = 0; i < 17; ++i) body += size_line + chunk + "\r\n";  // 1088 KiB
  body += "0\r\n\r\n";
  auto response = SendRaw(head + body);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 413);
}

TEST_F(ApiBadInputTest, HeaderOver16KiBIs431) {
  auto big = Send(Req{.headers = {{"X-Big", std::string(17 * 1024, 'a')}}});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->status, 431);
  EXPECT_EQ(ErrorCodeOf(*big), "too_large");

  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 400; ++i) many.emplace_back("X-H" + std::to_string(i), std::string(40, 'b'));
  auto lots = Send(Req{.headers = many});
  ASSERT_TRUE(lots) << lots.error().message;
  EXPECT_EQ(lots->status, 431);

  auto long_target = Send(Req{.path = "/healthz?q=" + std::string(17 * 1024, 'c')});
  ASSERT_TRUE(long_target) << long_target.error().message;
  EXPECT_THAT(long_target->status, AnyOf(414, 431));

  // A header well under the limit is fine.
  auto fine = Send(Req{.headers = {{"X-Big", std::string(8 * 1024, 'a')}}});
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ(fine->status, 200);
}

TEST_F(ApiBadInputTest, GarbageGets400OrIsClosed) {
  std::string random(64 * 1024, '\0');
  uint32_t state = 12345;
  for (char& c : random) {
    state = state * 1103515245 + 12345;
    c = static_cast<char>(state >> 16);
  }
  const std::vector<std::string> garbage = {
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS ClientHello
      "hello\r\n\r\n"s,
      "GET\r\n\r\n"s,
      "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"s,
      "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"s,
      "GET /healthz HTTP/1.1\r\nHo\x00st: x\r\n\r\n"s,
      "GET relative HTTP/1.1\r\nHost: x\r\n\r\n"s,
      "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"s,
      "GET /healthz HTTP/1.1\nHost: x\n\n"s,
      std::string(100, '\n'),
      random,
  };
  for (size_t i = 0; i < garbage.size(); ++i) {
    SCOPED_TRACE("garbage #" + std::to_string(i));
    auto connection = Connect();
    ASSERT_TRUE(connection) << connection.error().message;
    static_cast<void>(connection->Send(garbage[i], kIo));
    auto response = connection->ReadResponse(kIo);
    if (response) {
      EXPECT_EQ(response->status, 400) << response->body;
      EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
    } else {
      EXPECT_EQ(response.error().code, ErrorCode::kIo)
          << "neither an answer nor a close: " << response.error().message;
    }
    EXPECT_TRUE(server_->Running());
  }
}

TEST_F(ApiBadInputTest, DeeplyNestedJsonDoesNotCrash) {
  constexpr int kDepth = 100000;
  const std::vector<std::string> bodies = {
      std::string(kDepth, '[') + std::string(kDepth, ']'),
      std::string(kDepth, '['),
      [] {
        std::string body;
        for (int i = 0; i < kDepth; ++i) body += "{\"a\":";
        return body + "1" + std::string(kDepth, '}');
      }(),
      "{\"name\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}",
  };
  for (size_t i = 0; i < bodies.size(); ++i) {
    SCOPED_TRACE("body #" + std::to_string(i));
    auto response = Send(PostTokens(bodies[i]));
    ASSERT_TRUE(response) << response.error().message << "\n" << server_->log();
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
    ASSERT_TRUE(server_->Running()) << server_->log();
  }
  // The same into the other JSON endpoints.
  for (const char* path : {"/api/v1/users", "/api/v1/users/me/keys"}) {
    SCOPED_TRACE(path);
    Req request = PostTokens(bodies[0]);
    request.path = path;
    auto response = Send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 400);
  }
}

TEST_F(ApiBadInputTest, InvalidUtf8Is400) {
  const std::vector<std::string> bodies = {
      "{\"name\":\"\xff\xfe\"}",
      "{\"name\":\"\xc0\xaf\"}",          // overlong '/'
      "{\"name\":\"\xed\xa0\x80\"}",      // an encoded surrogate
      "{\"name\":\"\xe2\x82\"}",          // truncated sequence
      "{\"name\":\"\\ud800\"}",           // a lone surrogate escape
      "{\"\xff\":\"x\"}",                 // in a key
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    auto response = Send(PostTokens(body));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 400) << response->body;
    // The error body is itself valid JSON (so valid UTF-8), whatever the input held.
    EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
  }
  // Valid UTF-8 in a name is fine.
  auto fine = Send(PostTokens("{\"name\":\"caf\xc3\xa9 \xf0\x9f\x9a\x80\"}"));
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 201) << fine->body;
  EXPECT_EQ(Json::parse(fine->body)["token"]["name"], "caf\xc3\xa9 \xf0\x9f\x9a\x80");
}

TEST_F(ApiBadInputTest, ManyIdleConnectionsDoNotBlockOthers) {
  std::vector<RawConnection> idle;
  for (int i = 0; i < 200; ++i) {
    auto connection = Connect();
    ASSERT_TRUE(connection) << "connection " << i << ": " << connection.error().message;
    // Half of them also start a request and stall.
    if (i % 2 == 1) {
      ASSERT_TRUE(connection->Send("GET /healthz HTTP/1.1\r\nHo", kIo));
    }
    idle.push_back(std::move(*connection));
  }
  auto response = Send(Req{.path = "/api/v1/users/me", .headers = {AdminAuth()}});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Json::parse(response->body)["name"], "admin");
  // And the stalled ones were not closed for it (the request timeout is 15 s).
  for (auto& connection : idle) {
    EXPECT_FALSE(connection.WaitForClose(std::chrono::milliseconds(0)));
  }
}

TEST_F(ApiBadInputTest, PipelinedRequestsAreAllAnswered) {
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  std::string requests = Render(Req{.close = false}) +
                         Render(Req{.path = "/api/v1/users/me", .headers = {AdminAuth()}, .close = false}) +
                         Render(Req{.path = "/nope", .close = false}) +
                         Render(PostTokens("{\"name\":\"piped\"}"));  // Connection: close
  ASSERT_TRUE(connection->Send(requests, kIo));

  auto first = connection->ReadResponse(kIo);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(Json::parse(first->body)["status"], "ok");
  auto second = connection->ReadResponse(kIo);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(Json::parse(second->body)["name"], "admin");
  auto third = connection->ReadResponse(kIo);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third->status, 404);
  auto fourth = connection->ReadResponse(kIo);
  ASSERT_TRUE(fourth) << fourth.error().message;
  EXPECT_EQ(fourth->status, 201);
  EXPECT_EQ(Json::parse(fourth->body)["token"]["name"], "piped");
  EXPECT_TRUE(connection->WaitForClose(kIo)) << "Connection: close was not honoured";
  EXPECT_TRUE(connection->received().empty()) << connection->received();
}

TEST_F(ApiBadInputTest, KeepAliveRequestsOneAfterAnother) {
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection->Send(Render(Req{.close = false}), kIo));
    auto response = connection->ReadResponse(kIo);
    ASSERT_TRUE(response) << "request " << i << ": " << response.error().message;
    EXPECT_EQ(response->status, 200);
  }
}

TEST_F(ApiBadInputTest, Http10IsAnsweredAndClosed) {
  auto connection = Connect();
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send("GET /healthz HTTP/1.0\r\n\r\n", kIo));
  auto response = connection->ReadResponse(kIo);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(connection->WaitForClose(kIo));
}

// A server with a one-second request timeout, for the slow-client tests.
class SlowClientTest : public ApiBadInputTest {
 protected:
  std::vector<std::string> ExtraArgs() override { return {"--request-timeout", "1"}; }
};

TEST_F(SlowClientTest, SilentClientIsDisconnected) {
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_TRUE(connection->WaitForClose(kIo)) << "a client that sends nothing stays connected";
}

TEST_F(SlowClientTest, HalfHeaderIsDisconnected) {
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(connection->Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", kIo));
  EXPECT_TRUE(connection->WaitForClose(kIo)) << "a client with half a header stays connected";
}

TEST_F(SlowClientTest, HalfBodyIsDisconnected) {
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(connection->Send("POST /api/v1/users/me/tokens HTTP/1.1\r\nHost: x\r\n"
                               "Authorization: Bearer " + server_->admin_token() +
                               "\r\nContent-Length: 100\r\n\r\n{\"name\":", kIo));
  EXPECT_TRUE(connection->WaitForClose(kIo)) << "a client with half a body stays connected";
}

TEST_F(SlowClientTest, TricklingClientIsDisconnected) {
  // One byte every 100 ms keeps each read busy; the timeout covers the whole request.
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  std::string request = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(1000, 'a');
  auto deadline = std::chrono::steady_clock::now() + kIo;
  bool closed = false;
  for (size_t i = 0; i < request.size() && std::chrono::steady_clock::now() < deadline; ++i) {
    static_cast<void>(connection->Send(request.substr(i, 1), kIo));
    if (connection->WaitForClose(std::chrono::milliseconds(100))) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a client trickling a header is never disconnected";
}

TEST_F(SlowClientTest, IdleKeepAliveConnectionIsClosed) {
  auto connection = Connect();
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(connection->Send(Render(Req{.close = false}), kIo));
  auto response = connection->ReadResponse(kIo);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(connection->WaitForClose(kIo));
}

TEST_F(SlowClientTest, SlowClientsDoNotBlockOthers) {
  std::vector<RawConnection> stalled;
  for (int i = 0; i < 50; ++i) {
    auto connection = Connect();
    ASSERT_TRUE(connection) << connection.error().message;
    ASSERT_TRUE(connection->Send("GET /healthz HTTP/1.1\r\n", kIo));
    stalled.push_back(std::move(*connection));
  }
  auto response = Send(Req{});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  // All of them within one bound, not one per connection.
  auto deadline = std::chrono::steady_clock::now() + kIo;
  size_t open = 0;
  for (auto& connection : stalled) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!connection.WaitForClose(std::max(left, std::chrono::milliseconds(0)))) ++open;
  }
  EXPECT_EQ(open, 0u) << "stalled connections were not disconnected";
}

}  // namespace
}  // namespace yard
