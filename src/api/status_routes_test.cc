// The status tree, GET /metrics and size changes through the router, over an in-memory store,
// a fake engine and a volumes directory on disk.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/api_fixture.h"
#include "controller/fake_runtime.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

class StatusRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.status_trees = &trees_;
    services_.metrics = &metrics_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml",
                  "version: 1\ncomponents:\n  - id: web\n    port: 8000\n"
                  "addons:\n  - id: db\n    catalog: postgres\n");
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    MUST(projects_.Create({"blog", source}, admin));
    dev_ = MUST(deployment_service_.Create(shop, {.name = "dev", .stage = "development"}, alice));

    runtime_.AddImage("web:1");
    runtime::ContainerSpec spec{.name = "sy-shop-dev-web-1", .image = "web:1"};
    spec.labels = {{std::string(runtime::kLabelDeployment), std::to_string(dev_.id)},
                   {std::string(runtime::kLabelComponent), "web"},
                   {std::string(runtime::kLabelRole), "service"}};
    MUST(runtime_.StartContainer(MUST(runtime_.CreateContainer(spec))));
    std::string data = dir_.File("volumes/shop/dev/data/db/data");
    std::filesystem::create_directories(data);
    std::ofstream(data + "/table") << std::string(20000, 'x');
  }

  std::string Path(const std::string& rest = "") {
    return "/api/v1/projects/shop/deployments/dev" + rest;
  }

  controller::testing::FakeRuntime runtime_;
  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  deployments::StatusTrees trees_{
      {.builds = &build_store_,
       .runtime = &runtime_,
       .naming = {.installation = "inst", .volumes_dir = dir_.File("volumes")},
       .clock = &clock_}};
  deployments::RequestCounts requests_;
  deployments::ServerMetricsSources metrics_{.requests = &requests_,
                                             .started_at = 1'799'999'000,
                                             .logs_dir = dir_.File("logs"),
                                             .volumes_dir = dir_.File("volumes")};
  store::Deployment dev_;
};

TEST_F(StatusRoutesTest, TheTreeHasEverySection) {
  http::Response response = Call("GET", Path("/status"), user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  Json tree = BodyOf(response);
  EXPECT_EQ(tree["project"], "shop");
  EXPECT_EQ(tree["deployment"], "dev");
  // Not observed by a controller: the phase the store recorded, yellow while creating.
  EXPECT_EQ(tree["phase"], "creating");
  EXPECT_EQ(tree["colour"], "yellow");
  EXPECT_EQ(tree["size"]["name"], "unlimited");
  ASSERT_EQ(tree["containers"].size(), 1u);
  const Json& web = tree["containers"][0];
  EXPECT_EQ(web["service"], "web");
  EXPECT_EQ(web["container"], "sy-shop-dev-web-1");
  EXPECT_EQ(web["engine_state"], "running");
  EXPECT_TRUE(web["memory_bytes"].is_number());
  ASSERT_EQ(tree["storage"]["volumes"].size(), 1u);
  EXPECT_EQ(tree["storage"]["volumes"][0]["name"], "db/data");
  EXPECT_GE(tree["storage"]["volumes"][0]["bytes"].get<int64_t>(), 20000);
  EXPECT_GE(tree["storage"]["total_bytes"].get<int64_t>(), 20000);
  EXPECT_TRUE(tree["builds"].is_array());
  EXPECT_TRUE(tree["endpoints"].is_array());
  EXPECT_TRUE(tree["certificates"].is_array());

  Json project = BodyOf(Call("GET", "/api/v1/projects/shop/status", user_token_));
  ASSERT_EQ(project["deployments"].size(), 1u);
  EXPECT_EQ(project["deployments"][0]["name"], "dev");
  EXPECT_EQ(project["deployments"][0]["colour"], "yellow");

  // Out of reach or unknown: 404; no token: 401.
  EXPECT_EQ(Call("GET", "/api/v1/projects/blog/status", user_token_).status, 404);
  EXPECT_EQ(Call("GET", Path("x/status"), user_token_).status, 404);
  EXPECT_EQ(Call("GET", Path("/status"), "").status, 401);
}

TEST_F(StatusRoutesTest, MetricsNeedAnAdminAndSpeakPrometheus) {
  requests_.Count(200);
  EXPECT_EQ(Call("GET", "/metrics", "").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", user_token_).status, 403);
  http::Response response = Call("GET", "/metrics", admin_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response.body;
  EXPECT_NE(text.find("stackyard_http_requests_total{class=\"2xx\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("stackyard_deployments{phase=\"creating\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_container_up{project=\"shop\",deployment=\"dev\","
                      "component=\"web\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("stackyard_volume_bytes{project=\"shop\",deployment=\"dev\","
                      "component=\"db\",volume=\"data\"} "),
            std::string::npos);
  EXPECT_NE(text.find("stackyard_builds{state=\"queued\"} 0\n"), std::string::npos);
}

TEST_F(StatusRoutesTest, SizesAreSetByNameOrLimitsAndBadOnesChangeNothing) {
  http::Response named = Call("PATCH", Path(), user_token_, R"({"size": {"name": "medium"}})");
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(BodyOf(named)["size"]["name"], "medium");
  EXPECT_EQ(BodyOf(named)["size"]["cpus"], 1.0);
  EXPECT_EQ(BodyOf(named)["size"]["memory_bytes"], 1LL << 30);
  int64_t version = BodyOf(named)["version"];

  http::Response memory = Call("PATCH", Path(), user_token_, R"({"size": {"memory": "2g"}})");
  ASSERT_EQ(memory.status, 200) << memory.body;
  EXPECT_EQ(BodyOf(memory)["size"]["name"], "custom");
  EXPECT_EQ(BodyOf(memory)["size"]["cpus"], 1.0);  // kept
  EXPECT_EQ(BodyOf(memory)["size"]["memory_bytes"], 2LL << 30);
  EXPECT_GT(BodyOf(memory)["version"].get<int64_t>(), version);

  for (const char* bad : {R"({"size": {"name": "huge"}})", R"({"size": {"memory": "lots"}})",
                          R"({"size": {"cpus": 2}})", R"({"size": "large"})",
                          R"({"size": {"disk": "1g"}})",
                          R"({"size": {"name": "small"}, "auto_deploy": "yes"})"}) {
    http::Response refused = Call("PATCH", Path(), user_token_, bad);
    EXPECT_EQ(refused.status, 400) << bad << " " << refused.body;
  }
  Json after = BodyOf(Call("GET", Path(), user_token_));
  EXPECT_EQ(after["size"]["memory_bytes"], 2LL << 30);
  EXPECT_EQ(after["size"]["cpus"], 1.0);

  http::Response created = Call("POST", "/api/v1/projects/shop/deployments", user_token_,
                                R"({"name": "big", "stage": "development",
                                    "size": {"name": "large", "cpus": "3"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(BodyOf(created)["size"]["cpus"], 3.0);
  EXPECT_EQ(BodyOf(created)["size"]["memory_bytes"], 4LL << 30);
  EXPECT_EQ(BodyOf(created)["size"]["description"], "3 CPUs · 4 GiB");
}

// The next chunk a followed stream gives (the server polls it every 200 ms).
std::string Poll(http::Response& response) {
  std::string chunk;
  EXPECT_TRUE(response.stream(chunk, false));
  return chunk;
}

TEST_F(StatusRoutesTest, AFollowedTreeIsSentAgainWhenItChanges) {
  http::Response response = Call("GET", Path("/status?follow=true"), user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/x-ndjson");
  ASSERT_TRUE(response.stream);
  Json first = Json::parse(Poll(response));
  EXPECT_EQ(first["deployment"], "dev");
  EXPECT_EQ(first["containers"][0]["engine_state"], "running");
  // Before the next check, nothing; at it, nothing either while only the times moved.
  EXPECT_EQ(Poll(response), "");
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Poll(response), "");

  ASSERT_EQ(Call("PATCH", Path(), user_token_, R"({"size": {"name": "medium"}})").status, 200);
  EXPECT_EQ(Poll(response), "");  // not checked again yet
  clock_.Advance(std::chrono::seconds(2));
  std::string changed = Poll(response);
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(changed.back(), '\n');
  EXPECT_EQ(Json::parse(changed)["size"]["name"], "medium");

  std::string chunk;
  EXPECT_FALSE(response.stream(chunk, true));  // the server stops

  EXPECT_EQ(Call("GET", Path("/status?follow=maybe"), user_token_).status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/deployments/nope/status?follow=true",
                 user_token_).status, 404);
}

TEST_F(StatusRoutesTest, AFollowedProjectStatusIsSentAgainWhenItChanges) {
  http::Response response =
      Call("GET", "/api/v1/projects/shop/status?follow=true", user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(response.stream);
  EXPECT_EQ(Json::parse(Poll(response))["deployments"].size(), 1u);
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Poll(response), "");

  store::Project shop = MUST(project_store_.FindByName("shop"));
  MUST(deployment_service_.Create(shop, {.name = "qa", .stage = "development"},
                                  MUST(users_.FindByName("alice"))));
  clock_.Advance(std::chrono::seconds(2));
  Json changed = Json::parse(Poll(response));
  ASSERT_EQ(changed["deployments"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/projects/blog/status?follow=true", user_token_).status, 404);
}

}  // namespace
}  // namespace yard::api
