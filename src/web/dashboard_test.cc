#include "web/dashboard.h"

#include <gtest/gtest.h>

#include <map>

namespace yard::web {
namespace {

class FakeAssets final : public Assets {
 public:
  std::optional<Asset> Find(std::string_view path) const override {
    if (!IsSafeAssetPath(path)) return std::nullopt;
    auto found = files_.find(std::string(path));
    if (found == files_.end()) return std::nullopt;
    return Asset{found->second, std::string(ContentTypeFor(path)), "\"tag-" + found->second + "\""};
  }
  std::map<std::string, std::string> files_{{"index.html", "<html></html>"},
                                            {"assets/app.css", "body{}"},
                                            {"assets/js/app.js", "export {};"},
                                            {"assets/favicon.svg", "<svg/>"},
                                            {"assets/my file.txt", "spaced"}};
};

std::string HeaderOf(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class DashboardTest : public ::testing::Test {
 protected:
  http::Response Get(const std::string& path, const std::string& method = "GET",
                     const std::string& if_none_match = "") {
    http::Request request{.method = method, .target = path, .path = path};
    if (!if_none_match.empty()) request.headers["if-none-match"] = if_none_match;
    return dashboard_.Handle(request);
  }

  static void ExpectSecurityHeaders(const http::Response& response) {
    EXPECT_EQ(HeaderOf(response, "Content-Security-Policy"),
              "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
              "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(HeaderOf(response, "Referrer-Policy"), "same-origin");
    EXPECT_EQ(HeaderOf(response, "X-Frame-Options"), "DENY");
  }

  FakeAssets assets_;
  Dashboard dashboard_{assets_};
};

TEST_F(DashboardTest, PageRoutesAnswerThePage) {
  for (const char* path : {"/", "/login", "/account", "/projects", "/projects/shop",
                           "/projects/shop/deployments/dev/logs"}) {
    http::Response response = Get(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, "<html></html>") << path;
    EXPECT_EQ(response.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache") << path;
    EXPECT_EQ(HeaderOf(response, "ETag"), "\"tag-<html></html>\"") << path;
    ExpectSecurityHeaders(response);
  }
}

TEST_F(DashboardTest, AssetsByContentType) {
  struct Case {
    const char* path;
    const char* type;
    const char* body;
  };
  for (const Case& c : {Case{"/assets/app.css", "text/css; charset=utf-8", "body{}"},
                        Case{"/assets/js/app.js", "text/javascript; charset=utf-8", "export {};"},
                        Case{"/assets/favicon.svg", "image/svg+xml", "<svg/>"},
                        Case{"/assets/my%20file.txt", "text/plain; charset=utf-8", "spaced"}}) {
    http::Response response = Get(c.path);
    EXPECT_EQ(response.status, 200) << c.path;
    EXPECT_EQ(response.content_type, c.type) << c.path;
    EXPECT_EQ(response.body, c.body) << c.path;
    EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache") << c.path;
    EXPECT_FALSE(HeaderOf(response, "ETag").empty()) << c.path;
    ExpectSecurityHeaders(response);
  }
}

TEST_F(DashboardTest, MatchingETagIsNotModified) {
  std::string etag = HeaderOf(Get("/assets/app.css"), "ETag");
  http::Response response = Get("/assets/app.css", "GET", etag);
  EXPECT_EQ(response.status, 304);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(HeaderOf(response, "ETag"), etag);
  ExpectSecurityHeaders(response);
  EXPECT_EQ(Get("/assets/app.css", "GET", "\"other\", W/" + etag).status, 304);
  EXPECT_EQ(Get("/assets/app.css", "GET", "*").status, 304);
  EXPECT_EQ(Get("/assets/app.css", "GET", "\"other\"").status, 200);
}

TEST_F(DashboardTest, HeadHasNoBody) {
  http::Response response = Get("/assets/app.css", "HEAD");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(response.content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(HeaderOf(response, "ETag").empty());
}

TEST_F(DashboardTest, UnknownPathsAreNotFound) {
  for (const char* path : {"/favicon.ico", "/index.html", "/assets", "/assets/", "/assets/nope.js",
                           "/projectsx", "/loginx", "/assets/%zz"}) {
    http::Response response = Get(path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_NE(response.body.find("\"not_found\""), std::string::npos) << response.body;
    ExpectSecurityHeaders(response);
  }
}

TEST_F(DashboardTest, TraversalIsRefused) {
  for (const char* path : {"/assets/../index.html", "/assets/%2e%2e/%2e%2e/etc/passwd",
                           "/assets/js/..%2f..%2fapp.css", "/assets/.git/config",
                           "/assets//app.css", "/assets/..%5c..%5cetc"}) {
    EXPECT_EQ(Get(path).status, 404) << path;
  }
}

TEST_F(DashboardTest, OtherMethodsAreRefused) {
  http::Response response = Get("/", "POST");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "GET, HEAD");
  ExpectSecurityHeaders(response);
  EXPECT_EQ(Get("/nope", "DELETE").status, 404);
}

TEST(IsApiPathTest, SplitsApiFromDashboard) {
  for (const char* path : {"/api", "/api/v1/projects", "/api/", "/healthz", "/metrics"}) {
    EXPECT_TRUE(IsApiPath(path)) << path;
  }
  for (const char* path : {"/", "/apiary", "/projects", "/assets/app.css", "/metrics/x"}) {
    EXPECT_FALSE(IsApiPath(path)) << path;
  }
}

}  // namespace
}  // namespace yard::web
