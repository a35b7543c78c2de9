// GET …/logs through the router, over a real log store in a temporary directory: queries,
// bad parameters, access, and a followed stream driven by hand.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "git/test_repo.h"
#include "logs/store.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

constexpr int64_t kSecond = 1'000'000'000;
// The lines' times: seconds after this (the fixture's clock), within the store's retention.
constexpr int64_t kBase = 1'799'999'000;

class LogRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.logs = &logs_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", "version: 1\ncomponents:\n  - id: web\n    port: 8000\n");
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    MUST(projects_.Create({"blog", source}, admin));
    dev_ = MUST(deployment_service_.Create(shop, {.name = "dev", .stage = "development"}, alice));

    std::vector<logs::LogLine> web = {
        {.time_ns = (kBase + 100) * kSecond, .stream = 'o', .container = "aaaaaaaaaaaa", .generation = 1,
         .text = "first start"},
        {.time_ns = (kBase + 200) * kSecond, .stream = 'e', .container = "aaaaaaaaaaaa", .generation = 1,
         .text = "crashed"},
        {.time_ns = (kBase + 300) * kSecond, .stream = 'o', .container = "bbbbbbbbbbbb", .generation = 2,
         .text = "second start"}};
    MUST(logs_.Append(dev_.id, "web", web));
    std::vector<logs::LogLine> db = {{.time_ns = (kBase + 150) * kSecond, .stream = 'o',
                                      .container = "cccccccccccc", .generation = 1,
                                      .text = "ready to accept connections"}};
    MUST(logs_.Append(dev_.id, "db", db));
  }

  std::vector<std::string> Texts(const http::Response& response) {
    std::vector<std::string> texts;
    Json body = BodyOf(response);
    for (const Json& line : body["lines"]) texts.push_back(line["text"]);
    return texts;
  }

  std::string Logs(const std::string& query = "") {
    return "/api/v1/projects/shop/deployments/dev/logs" + query;
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  logs::Store logs_{{.dir = dir_.File("logs")}, clock_};
  store::Deployment dev_;
};

TEST_F(LogRoutesTest, ReadsAcrossServicesAndContainersWithFilters) {
  http::Response all = Call("GET", Logs(), user_token_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Texts(all), (std::vector<std::string>{"first start", "ready to accept connections",
                                                  "crashed", "second start"}));
  Json body = BodyOf(all);
  Json first = body["lines"][0];
  EXPECT_EQ(first["time"], "2027-01-15T07:45:00.000000000Z");
  EXPECT_EQ(first["service"], "web");
  EXPECT_EQ(first["stream"], "stdout");
  EXPECT_EQ(first["container"], "aaaaaaaaaaaa");
  EXPECT_EQ(first["generation"], 1);
  EXPECT_EQ(body["lines"][2]["stream"], "stderr");

  EXPECT_EQ(Texts(Call("GET", Logs("?service=web"), user_token_)),
            (std::vector<std::string>{"first start", "crashed", "second start"}));
  EXPECT_EQ(Texts(Call("GET", Logs("?service=web&previous=true"), user_token_)),
            (std::vector<std::string>{"first start", "crashed"}));
  EXPECT_EQ(Texts(Call("GET", Logs("?tail=1"), user_token_)),
            (std::vector<std::string>{"second start"}));
  EXPECT_EQ(Texts(Call("GET", Logs("?grep=start"), user_token_)),
            (std::vector<std::string>{"first start", "second start"}));
  EXPECT_EQ(Texts(Call("GET", Logs("?since=1799999150&until=1799999300"), user_token_)),
            (std::vector<std::string>{"ready to accept connections", "crashed"}));
}

TEST_F(LogRoutesTest, BadParametersAreRefusedWithTheReason) {
  for (const char* query : {"?since=yesterday", "?until=-1", "?tail=-1", "?tail=1000001",
                            "?previous=maybe", "?follow=2", "?service=../etc"}) {
    http::Response response = Call("GET", Logs(query), user_token_);
    EXPECT_EQ(response.status, 400) << query << " " << response.body;
  }
  // Another project's deployment, out of reach, is not found; so is no token at all.
  EXPECT_EQ(Call("GET", "/api/v1/projects/blog/deployments/dev/logs", user_token_).status, 404);
  EXPECT_EQ(Call("GET", Logs(), "").status, 401);
}

TEST_F(LogRoutesTest, FollowStreamsWhatIsThereThenWhatComes) {
  http::Response response = Call("GET", Logs("?service=web&tail=1&follow=1"), user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/x-ndjson");
  ASSERT_TRUE(response.stream);
  std::string chunk;
  ASSERT_TRUE(response.stream(chunk, false));
  EXPECT_EQ(Json::parse(chunk.substr(0, chunk.find('\n')))["text"], "second start");
  chunk.clear();
  ASSERT_TRUE(response.stream(chunk, false));
  EXPECT_EQ(chunk, "");  // nothing new yet

  std::vector<logs::LogLine> more = {{.time_ns = (kBase + 400) * kSecond, .stream = 'o',
                                      .container = "bbbbbbbbbbbb", .generation = 2,
                                      .text = "GET / 200"}};
  MUST(logs_.Append(dev_.id, "web", more));
  ASSERT_TRUE(response.stream(chunk, false));
  EXPECT_EQ(Json::parse(chunk.substr(0, chunk.find('\n')))["text"], "GET / 200");
  chunk.clear();
  EXPECT_FALSE(response.stream(chunk, true));  // the server stops
}

}  // namespace
}  // namespace yard::api
