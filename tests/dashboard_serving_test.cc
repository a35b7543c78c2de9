// The dashboard as a real `yard server` serves it: the page for its routes, its files with
// their content types and ETags, --web-dir, and a followed stream read as Server-Sent Events
// by curl, as EventSource reads it. (The page itself is driven in dashboard_browser_test.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <strings.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "http/client.h"
#include "testing/temp_dir.h"
#include "testing/yard_server.h"

namespace yard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::YardServer;
using Json = nlohmann::json;

constexpr auto kHttpTimeout = std::chrono::seconds(10);

http::Response Send(const YardServer& server, const std::string& method, const std::string& path,
                    std::vector<std::pair<std::string, std::string>> headers = {},
                    const std::string& body = "") {
  auto endpoint = http::Endpoint::Parse(server.url());
  EXPECT_TRUE(endpoint);
  http::ClientRequest request{.method = method, .target = path, .headers = std::move(headers),
                              .body = body};
  auto response = http::Client(*endpoint).Send(request, kHttpTimeout);
  EXPECT_TRUE(response) << method << " " << path << ": " << response.error().message;
  return response ? std::move(*response) : http::Response{.status = 0};
}

std::string HeaderOf(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (::strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

std::unique_ptr<YardServer> MustStart(YardServer::Options options = {}) {
  auto server = YardServer::Start(std::move(options));
  if (!server) {
    ADD_FAILURE() << server.error().message;
    return nullptr;
  }
  return std::move(*server);
}

TEST(DashboardServingTest, ServesThePageAndItsFiles) {
  auto server = MustStart();
  ASSERT_TRUE(server);

  http::Response page = Send(*server, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(HeaderOf(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(page.body, HasSubstr("/assets/js/app.js"));
  EXPECT_THAT(HeaderOf(page, "Content-Security-Policy"), StartsWith("default-src 'self'"));
  EXPECT_EQ(HeaderOf(page, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(page, "Cache-Control"), "no-cache");
  // The page's own routes get the page, so that a reload works.
  EXPECT_EQ(Send(*server, "GET", "/projects/shop/deployments/dev/logs").body, page.body);

  http::Response script = Send(*server, "GET", "/assets/js/api.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(HeaderOf(script, "Content-Type"), "text/javascript; charset=utf-8");
  std::string etag = HeaderOf(script, "ETag");
  ASSERT_FALSE(etag.empty());
  http::Response unchanged = Send(*server, "GET", "/assets/js/api.js", {{"If-None-Match", etag}});
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(unchanged.body, "");
  EXPECT_EQ(HeaderOf(Send(*server, "GET", "/assets/favicon.svg"), "Content-Type"),
            "image/svg+xml");

  EXPECT_EQ(Send(*server, "GET", "/nope").status, 404);
  EXPECT_EQ(Send(*server, "GET", "/assets/%2e%2e/index.html").status, 404);
  // The API keeps its own paths.
  EXPECT_EQ(Send(*server, "GET", "/healthz").status, 200);
  http::Response api = Send(*server, "GET", "/api/v1/projects");
  EXPECT_EQ(api.status, 401);
  EXPECT_EQ(api.content_type, "application/json");
}

TEST(DashboardServingTest, WebDirIsReadOnEachRequest) {
  testing::TempDir web;
  ASSERT_TRUE(fs::CreateDirectories(web.File("assets/js")));
  ASSERT_TRUE(fs::AtomicWriteFile(web.File("index.html"), "<html>draft</html>"));
  ASSERT_TRUE(fs::AtomicWriteFile(web.File("assets/js/app.js"), "export {};"));
  auto server = MustStart({.extra_args = {"--web-dir", web.path()}});
  ASSERT_TRUE(server);

  EXPECT_EQ(Send(*server, "GET", "/login").body, "<html>draft</html>");
  ASSERT_TRUE(fs::AtomicWriteFile(web.File("index.html"), "<html>edited</html>"));
  EXPECT_EQ(Send(*server, "GET", "/login").body, "<html>edited</html>");
  http::Response script = Send(*server, "GET", "/assets/js/app.js");
  EXPECT_EQ(script.body, "export {};");
  EXPECT_EQ(HeaderOf(script, "Content-Type"), "text/javascript; charset=utf-8");

  // A folder that is not there: the server refuses to start, saying why.
  testing::TempDir data;
  auto refused = testing::RunYard({"server", "--data-dir", data.path(), "--api", "127.0.0.1:0",
                                   "--ssh", "off", "--web-dir", web.File("missing")});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.stderr_data, HasSubstr("--web-dir"));
}

TEST(DashboardServingTest, FollowedStreamsAreServerSentEventsForBrowsers) {
  auto server = MustStart();
  ASSERT_TRUE(server);
  std::string bearer = "Bearer " + server->admin_token();
  // Something in the event log to follow.
  http::Response token = Send(*server, "POST", "/api/v1/users/me/tokens",
                              {{"Authorization", bearer}}, R"({"name": "sse-check"})");
  ASSERT_EQ(token.status, 201) << token.body;

  // curl -N as EventSource would ask; the stream stays open, so curl is cut after 3 s.
  ProcessResult curl = testing::RunTool(
      {"curl", "-sN", "-i", "--max-time", "3", "-H", "Accept: text/event-stream", "-H",
       "Authorization: " + bearer, server->url() + "/api/v1/events?follow=true"});
  EXPECT_EQ(curl.exit_code, 28) << curl.stderr_data;  // 28: cut by --max-time, as intended
  EXPECT_THAT(curl.stdout_data, HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(curl.stdout_data, HasSubstr("\r\n\r\ndata: {"));
  EXPECT_THAT(curl.stdout_data, HasSubstr("sse-check"));
  EXPECT_THAT(curl.stdout_data, Not(HasSubstr("\n{\"")));  // no bare NDJSON lines
}

}  // namespace
}  // namespace yard
