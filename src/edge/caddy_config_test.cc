#include "edge/caddy_config.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/process.h"
#include "testing/temp_dir.h"

namespace yard::edge {
namespace {

using Json = nlohmann::json;

EdgeSettings Settings(const yard::testing::TempDir& dir) {
  EdgeSettings settings;
  settings.admin_socket = dir.path() + "/admin.sock";
  settings.storage_dir = dir.path() + "/storage";
  settings.http_port = 18080;
  settings.https_port = 18443;
  return settings;
}

std::vector<EdgeRoute> Routes() {
  return {{.id = "d1-app", .hosts = {"app-dev-shop.localhost"}, .upstreams = {"127.0.0.1:4001"}},
          {.id = "d2-web",
           .hosts = {"web-prod-shop.localhost", "shop.example.com"},
           .upstreams = {"127.0.0.1:4002"}},
          {.id = "d3-none", .hosts = {"x.localhost"}, .upstreams = {}}};
}

TEST(UsesInternalCaTest, LocalNamesOnly) {
  EXPECT_TRUE(UsesInternalCa("localhost"));
  EXPECT_TRUE(UsesInternalCa("app-dev-shop.localhost"));
  EXPECT_TRUE(UsesInternalCa("a.test"));
  EXPECT_FALSE(UsesInternalCa("shop.example.com"));
  EXPECT_FALSE(UsesInternalCa("notlocalhost"));
}

TEST(CaddyConfigTest, RoutesRedirectAndIssuers) {
  yard::testing::TempDir dir;
  Json config = CaddyConfig(Settings(dir), Routes());
  EXPECT_EQ(config["admin"]["listen"], "unix/" + dir.path() + "/admin.sock");
  const Json& https = config["apps"]["http"]["servers"]["https"];
  ASSERT_EQ(https["routes"].size(), 4u) << "three routes + 404";
  EXPECT_EQ(https["routes"][0]["@id"], "d1-app");
  EXPECT_EQ(https["routes"][1]["match"][0]["host"][1], "shop.example.com");
  EXPECT_EQ(https["routes"][1]["handle"][2]["upstreams"][0]["dial"], "127.0.0.1:4002");
  // Nothing serves d3: a 503 that says so, not a 404.
  EXPECT_EQ(https["routes"][2]["@id"], "d3-none");
  EXPECT_EQ(https["routes"][2]["handle"][0]["status_code"], 503);
  EXPECT_EQ(https["routes"][3]["handle"][0]["status_code"], 404);
  const Json& redirect = config["apps"]["http"]["servers"]["http"]["routes"][0]["handle"][0];
  EXPECT_EQ(redirect["status_code"], 308);
  EXPECT_EQ(redirect["headers"]["Location"][0],
            "https://{http.request.host}:18443{http.request.uri}");
  const Json& policies = config["apps"]["tls"]["automation"]["policies"];
  ASSERT_EQ(policies.size(), 2u);
  EXPECT_EQ(policies[0]["issuers"][0]["module"], "internal");
  EXPECT_EQ(policies[0]["subjects"].size(), 3u);
  EXPECT_EQ(policies[1]["issuers"][0]["module"], "acme");
  EXPECT_EQ(policies[1]["subjects"][0], "shop.example.com");
}

TEST(CaddyConfigTest, DefaultPortRedirectHasNoPort) {
  yard::testing::TempDir dir;
  EdgeSettings settings = Settings(dir);
  settings.https_port = 443;
  Json config = CaddyConfig(settings, {});
  EXPECT_EQ(config["apps"]["http"]["servers"]["http"]["routes"][0]["handle"][0]["headers"]
                  ["Location"][0],
            "https://{http.request.host}{http.request.uri}");
  EXPECT_FALSE(config["apps"].contains("tls")) << "no hosts, no certificates to manage";
}

TEST(CaddyConfigTest, WithAResolverUpstreamsComeFromDns) {
  yard::testing::TempDir dir;
  EdgeSettings settings = Settings(dir);
  settings.upstream_resolver = "127.0.0.1:5353";
  std::vector<EdgeRoute> routes = Routes();
  for (EdgeRoute& route : routes) route.port = 8000;
  Json config = CaddyConfig(settings, routes);
  const Json& https = config["apps"]["http"]["servers"]["https"];
  // Every route proxies, with or without containers behind it right now: which ones serve is
  // DNS, so that a switch needs no reload.
  ASSERT_EQ(https["routes"].size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const Json& proxy = https["routes"][i]["handle"][2];
    EXPECT_EQ(proxy["handler"], "reverse_proxy");
    EXPECT_FALSE(proxy.contains("upstreams"));
    EXPECT_EQ(proxy["dynamic_upstreams"]["source"], "a");
    EXPECT_EQ(proxy["dynamic_upstreams"]["port"], "8000");
    EXPECT_EQ(proxy["dynamic_upstreams"]["resolver"]["addresses"][0], "udp/127.0.0.1:5353");
  }
  EXPECT_EQ(https["routes"][0]["handle"][2]["dynamic_upstreams"]["name"],
            "d1-app.upstreams.stackyard");
}

// The real Caddy accepts what we generate, in both upstream modes (it provisions every
// module, so a typo in a handler, field or duration fails here rather than at the first
// deployment).
class CaddyValidates : public ::testing::TestWithParam<bool> {};

TEST_P(CaddyValidates, TheConfig) {
  auto caddy = FindExecutable("caddy");
  ASSERT_TRUE(caddy) << "caddy is missing: run scripts/setup";
  yard::testing::TempDir dir;
  EdgeSettings settings = Settings(dir);
  settings.acme_email = "ops@example.com";
  std::vector<EdgeRoute> routes = Routes();
  if (GetParam()) {
    settings.upstream_resolver = "127.0.0.1:5353";
    for (EdgeRoute& route : routes) route.port = 8000;
  }
  std::string path = dir.path() + "/caddy.json";
  ASSERT_TRUE(fs::AtomicWriteFile(path, CaddyConfig(settings, routes).dump(2)));
  ProcessOptions options;
  options.argv = {*caddy, "validate", "--config", path};
  options.env = {{"HOME", dir.path()}, {"XDG_DATA_HOME", dir.path() + "/data"},
                 {"XDG_CONFIG_HOME", dir.path() + "/config"}};
  options.timeout = std::chrono::seconds(30);
  auto result = RunProcess(options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0) << result->stdout_data << result->stderr_data;
}

INSTANTIATE_TEST_SUITE_P(StaticAndDynamic, CaddyValidates, ::testing::Bool());

}  // namespace
}  // namespace yard::edge
