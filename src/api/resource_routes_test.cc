// GET …/deployments/{deployment}/resources through the router, over samples written straight
// into an in-memory store.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "api/views.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

class ResourceRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.resource_samples = &samples_;
    services_.resource_sample_interval = std::chrono::seconds(30);
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml",
                  "version: 1\ncomponents:\n  - id: web\n    port: 8000\n  - id: worker\n");
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source, "worker/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    store::Project blog = MUST(projects_.Create({"blog", source}, admin));
    dev_ = MUST(deployment_service_.Create(shop, {.name = "dev", .stage = "development"}, alice));
    MUST(deployment_service_.Create(blog, {.name = "dev", .stage = "development"}, admin));
    now_ = clock_.NowUnix();
  }

  store::ResourceSample Web(int64_t ago, double cpu, int64_t memory) {
    return {.deployment_id = dev_.id, .component = "web", .at = now_ - ago,
            .cpu_percent = cpu, .memory_bytes = memory, .disk_bytes = 4096};
  }

  std::string Path(const std::string& rest) {
    return "/api/v1/projects/shop/deployments/dev/resources" + rest;
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  store::ResourceSampleStore samples_{*db_};
  store::Deployment dev_;
  int64_t now_ = 0;
};

TEST_F(ResourceRoutesTest, TheLastHourSampleBySampleWithGapsAsNulls) {
  MUST(samples_.Insert({
      Web(7200, 50, 500),  // more than an hour ago
      Web(2000, 1, 100),
      // Stopped for half an hour in between.
      Web(90, 1.5, 150),
      Web(60, 2.5, 250),
      {.deployment_id = dev_.id, .component = "worker", .at = now_ - 60},
  }));
  http::Response response = Call("GET", Path(""), user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = BodyOf(response);
  EXPECT_EQ(body["range"], "1h");
  EXPECT_EQ(body["step_seconds"], 30);
  ASSERT_EQ(body["components"].size(), 2u);
  const Json& web = body["components"][0];
  EXPECT_EQ(web["name"], "web");
  const Json& samples = web["samples"];
  ASSERT_EQ(samples.size(), 4u) << samples.dump();
  EXPECT_EQ(samples[0]["at"], TimeView(now_ - 2000));
  EXPECT_EQ(samples[0]["memory_bytes"], 100);
  // The gap: one point of nulls a step after the last sample before it.
  EXPECT_EQ(samples[1]["at"], TimeView(now_ - 2000 + 30));
  EXPECT_TRUE(samples[1]["cpu_percent"].is_null());
  EXPECT_TRUE(samples[1]["memory_bytes"].is_null());
  EXPECT_EQ(samples[2]["at"], TimeView(now_ - 90));
  EXPECT_EQ(samples[2]["cpu_percent"], 1.5);
  EXPECT_EQ(samples[3]["memory_bytes"], 250);
  EXPECT_EQ(samples[3]["disk_bytes"], 4096);
  // Known but not running: nulls.
  const Json& worker = body["components"][1];
  EXPECT_EQ(worker["name"], "worker");
  ASSERT_EQ(worker["samples"].size(), 1u);
  EXPECT_TRUE(worker["samples"][0]["cpu_percent"].is_null());
  EXPECT_TRUE(worker["samples"][0]["disk_bytes"].is_null());

  EXPECT_EQ(BodyOf(Call("GET", Path("?range=1h"), user_token_)), body);
}

TEST_F(ResourceRoutesTest, TheLastDayInFiveMinuteAverages) {
  // Aligned on a step so that both samples fall in one.
  int64_t step_start = (now_ - 3600) / 300 * 300;
  MUST(samples_.Insert({Web(now_ - step_start, 10, 100), Web(now_ - step_start - 30, 20, 300),
                        Web(23 * 3600, 4, 40), Web(25 * 3600, 99, 99)}));
  Json body = BodyOf(Call("GET", Path("?range=24h"), user_token_));
  EXPECT_EQ(body["range"], "24h");
  EXPECT_EQ(body["step_seconds"], 300);
  ASSERT_EQ(body["components"].size(), 1u);
  const Json& samples = body["components"][0]["samples"];
  // 23 h ago, a gap, the averaged step, and a gap up to now (nothing for an hour).
  ASSERT_EQ(samples.size(), 4u) << samples.dump();
  EXPECT_EQ(samples[0]["memory_bytes"], 40);
  EXPECT_TRUE(samples[1]["memory_bytes"].is_null());
  EXPECT_EQ(samples[2]["at"], TimeView(step_start));
  EXPECT_EQ(samples[2]["cpu_percent"], 15.0);
  EXPECT_EQ(samples[2]["memory_bytes"], 200);
  EXPECT_TRUE(samples[3]["cpu_percent"].is_null());
}

TEST_F(ResourceRoutesTest, RefusesOtherRangesAndWhatIsOutOfReach) {
  http::Response bad = Call("GET", Path("?range=7d"), user_token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'range' must be 1h or 24h, not '7d'"), std::string::npos) << bad.body;
  // No samples yet: no components.
  Json empty = BodyOf(Call("GET", Path("?range=24h"), user_token_));
  EXPECT_TRUE(empty["components"].empty());
  EXPECT_EQ(Call("GET", "/api/v1/projects/blog/deployments/dev/resources", user_token_).status,
            404);
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/deployments/nope/resources", user_token_).status,
            404);
  EXPECT_EQ(Call("GET", Path(""), "").status, 401);
}

}  // namespace
}  // namespace yard::api
