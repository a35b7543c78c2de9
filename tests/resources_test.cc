// The resource history end to end on the real Podman engine, with a server that samples
// every second: a running deployment's components get samples with their memory (and the
// add-on its data volume's size) within a bounded wait, served by GET …/resources and shown by
// `yard resources`; a range other than 1h or 24h is refused.

#include "deployment_test_base.h"

namespace yard {
namespace {

class ResourcesTest : public DeploymentTestBase {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--resource-sample-interval", "1s"};
  }

  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("hello", "examples/hello");
  }

  Result<http::Response> Get(const std::string& target) {
    auto endpoint = MUST(http::Endpoint::Parse(server_->url()));
    http::Client client(endpoint);
    http::ClientRequest request{.method = "GET", .target = target};
    request.headers.emplace_back("Authorization", "Bearer " + server_->admin_token());
    return client.Send(request, 60s);
  }

  // The largest figure of `field` among a component's samples; -1 when there is none.
  static int64_t Largest(const Json& answer, const std::string& component, const char* field) {
    int64_t largest = -1;
    for (const Json& c : answer["components"]) {
      if (c["name"] != component) continue;
      for (const Json& sample : c["samples"]) {
        if (sample[field].is_number()) largest = std::max(largest, sample[field].get<int64_t>());
      }
    }
    return largest;
  }
};

TEST_F(ResourcesTest, ARunningDeploymentIsSampled) {
  Json d = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);

  Json answer;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    answer = Yard({"resources", "hello/dev"});
    if (Largest(answer, "web", "memory_bytes") > 0 && Largest(answer, "db", "memory_bytes") > 0 &&
        Largest(answer, "db", "disk_bytes") > 0) {
      break;
    }
    std::this_thread::sleep_for(1s);
  }
  EXPECT_EQ(answer["range"], "1h") << answer.dump(2);
  EXPECT_EQ(answer["step_seconds"], 1);
  EXPECT_GT(Largest(answer, "web", "memory_bytes"), 0) << answer.dump(2);
  EXPECT_GT(Largest(answer, "db", "memory_bytes"), 0) << answer.dump(2);
  // The add-on's data volume; the component the code volume.
  EXPECT_GT(Largest(answer, "db", "disk_bytes"), 0) << answer.dump(2);
  EXPECT_GT(Largest(answer, "web", "disk_bytes"), 0) << answer.dump(2);
  for (const Json& c : answer["components"]) {
    for (const Json& sample : c["samples"]) {
      EXPECT_TRUE(sample["at"].is_string()) << sample.dump();
      if (sample["cpu_percent"].is_number()) {
        EXPECT_GE(sample["cpu_percent"].get<double>(), 0) << sample.dump();
      }
    }
  }

  // Through the API directly: the day in 5-minute steps; another range is refused.
  auto day = Get("/api/v1/projects/hello/deployments/dev/resources?range=24h");
  ASSERT_TRUE(day) << day.error().message;
  ASSERT_EQ(day->status, 200) << day->body;
  Json day_json = Json::parse(day->body);
  EXPECT_EQ(day_json["step_seconds"], 300);
  EXPECT_GT(Largest(day_json, "web", "memory_bytes"), 0) << day->body;
  auto bad = Get("/api/v1/projects/hello/deployments/dev/resources?range=7d");
  ASSERT_TRUE(bad) << bad.error().message;
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(bad->body.find("must be 1h or 24h"), std::string::npos) << bad->body;

  // The human form.
  ProcessResult human = RunYardFor(60s, AsAdmin({"resources", "hello/dev"}));
  EXPECT_EQ(human.exit_code, 0) << human.stderr_data;
  EXPECT_NE(human.stdout_data.find("MEMORY NOW"), std::string::npos) << human.stdout_data;
  EXPECT_NE(human.stdout_data.find("web"), std::string::npos) << human.stdout_data;
  ProcessResult refused = RunYardFor(60s, AsAdmin({"resources", "hello/dev", "--range", "7d"}));
  EXPECT_NE(refused.exit_code, 0);
}

}  // namespace
}  // namespace yard
