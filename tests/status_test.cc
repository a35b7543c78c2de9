// The status tree, sizes and metrics end to end on the real Podman engine: a running
// deployment's `yard status --json` has running containers with their memory, a volume's size
// that grows with a file written into it, colour green; `/metrics` with an admin's token has
// the same figures in Prometheus's format; and `yard deployments set --memory` gives the
// containers the new limit.

#include <fstream>
#include <regex>

#include "deployment_test_base.h"

namespace yard {
namespace {

class StatusTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("hello", "examples/hello");
  }

  // The memory limit (bytes) the engine gives the running container of `service`.
  int64_t MemoryLimitOf(const std::string& service) {
    std::vector<std::string> running = ContainersOf(service);
    if (running.size() != 1) return -1;
    std::string text = Podman({"inspect", "--format", "{{.HostConfig.Memory}}", running[0]});
    return std::atoll(text.c_str());
  }

  Result<http::Response> Metrics(const std::string& token) {
    auto endpoint = MUST(http::Endpoint::Parse(server_->url()));
    http::Client client(endpoint);
    http::ClientRequest request{.method = "GET", .target = "/metrics"};
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    return client.Send(request, 60s);
  }
};

TEST_F(StatusTest, TreeMetricsAndSizeOfARunningDeployment) {
  Json d = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--size",
                 "small", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  EXPECT_EQ(d["size"]["name"], "small");

  // A file in the code volume, written before the volumes are first measured.
  std::string code = server_->data_dir() + "/volumes/hello/dev/code";
  ASSERT_TRUE(std::filesystem::is_directory(code)) << code;
  std::ofstream(code + "/big.bin") << std::string(3 << 20, 'x');

  Json tree = Yard({"status", "hello/dev"});
  EXPECT_EQ(tree["colour"], "green") << tree.dump(2);
  EXPECT_EQ(tree["size"]["name"], "small");
  ASSERT_EQ(tree["containers"].size(), 2u) << tree.dump(2);
  for (const Json& container : tree["containers"]) {
    EXPECT_EQ(container["state"], "running") << container.dump();
    EXPECT_EQ(container["engine_state"], "running") << container.dump();
    ASSERT_TRUE(container["memory_bytes"].is_number()) << container.dump();
    EXPECT_GT(container["memory_bytes"].get<int64_t>(), 0) << container.dump();
    EXPECT_EQ(container["memory_limit_bytes"], 512LL << 20) << container.dump();
    EXPECT_TRUE(container["uptime_seconds"].is_number()) << container.dump();
  }
  bool found_code = false, found_db = false;
  for (const Json& volume : tree["storage"]["volumes"]) {
    if (volume["name"] == "code") {
      found_code = true;
      EXPECT_GE(volume["bytes"].get<int64_t>(), 3 << 20) << volume.dump();
    }
    if (volume["name"] == "db/data") {
      found_db = true;
      EXPECT_GT(volume["bytes"].get<int64_t>(), 0) << volume.dump();
    }
  }
  EXPECT_TRUE(found_code && found_db) << tree["storage"].dump(2);
  ASSERT_FALSE(tree["endpoints"].empty());
  EXPECT_FALSE(tree["certificates"].empty());

  // The project at a glance, and the human form.
  Json project = Yard({"status", "hello"});
  ASSERT_EQ(project["deployments"].size(), 1u);
  EXPECT_EQ(project["deployments"][0]["colour"], "green");
  ProcessResult human = RunYardFor(60s, AsAdmin({"status", "hello/dev"}));
  EXPECT_EQ(human.exit_code, 0) << human.stderr_data;
  EXPECT_NE(human.stdout_data.find("Containers"), std::string::npos) << human.stdout_data;
  EXPECT_NE(human.stdout_data.find("Storage"), std::string::npos) << human.stdout_data;

  // Prometheus: an admin's token is needed; the memory of each service is there.
  auto anonymous = Metrics("");
  ASSERT_TRUE(anonymous) << anonymous.error().message;
  EXPECT_EQ(anonymous->status, 401);
  auto metrics = Metrics(server_->admin_token());
  ASSERT_TRUE(metrics) << metrics.error().message;
  ASSERT_EQ(metrics->status, 200) << metrics->body;
  for (const char* service : {"web", "db"}) {
    std::regex memory(fmt::format(
        R"(\nstackyard_container_memory_bytes\{{project="hello",deployment="dev",component="{}"\}} ([0-9.e+]+)\n)",
        service));
    std::smatch match;
    ASSERT_TRUE(std::regex_search(metrics->body, match, memory)) << service << "\n" << metrics->body;
    EXPECT_GT(std::stod(match[1]), 0) << service;
  }
  EXPECT_NE(metrics->body.find("stackyard_deployments{phase=\"running\"} 1\n"), std::string::npos)
      << metrics->body;

  // A new memory limit: the containers are replaced with it.
  EXPECT_EQ(MemoryLimitOf("web"), 512LL << 20);
  Json resized = Yard({"deployments", "set", "hello/dev", "--memory", "768m", "--wait"});
  EXPECT_EQ(resized["size"]["memory_bytes"], 768LL << 20) << resized.dump(2);
  EXPECT_EQ(resized["size"]["cpus"], 0.5);  // kept
  EXPECT_EQ(resized["size"]["name"], "custom");
  int64_t limit = 0;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    limit = MemoryLimitOf("web");
    if (limit == (768LL << 20) && MemoryLimitOf("db") == (768LL << 20)) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(limit, 768LL << 20);
  EXPECT_EQ(MemoryLimitOf("db"), 768LL << 20);

  // A bad size changes nothing.
  ProcessResult bad = RunYardFor(60s, AsAdmin({"deployments", "set", "hello/dev", "--size", "huge"}));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.stderr_data.find("'huge' is not a size"), std::string::npos) << bad.stderr_data;
  EXPECT_EQ(Yard({"deployments", "show", "hello/dev"})["size"]["memory_bytes"], 768LL << 20);
}

}  // namespace
}  // namespace yard
