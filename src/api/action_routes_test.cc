// The action routes through the router, with the controller's FakeRuntime for containers and
// execs (they end at once with the exit code set) and a status set by the test: listings, bad
// input, access, and a run's streamed answer driven by hand.

#include <gtest/gtest.h>

#include <thread>

#include "api/api_fixture.h"
#include "controller/fake_runtime.h"
#include "deployments/actions.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

constexpr const char* kStack = R"(version: 1
components:
  - id: web
    port: 8000
actions:
  - id: migrate
    component: web
    command: ./migrate up
    description: Apply the migrations.
  - id: seed
    component: web
    command: [seed, --all]
    stages: [development]
)";

class ActionRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.actions = &actions_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", kStack);
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    MUST(projects_.Create({"blog", source}, admin));
    MUST(deployment_service_.Create(shop, {.name = "prod", .stage = "production"}, alice));

    runtime_.AddImage("img");
    MUST(runtime_.CreateContainer({.name = "prod-web", .image = "img"}));
    MUST(runtime_.StartContainer("prod-web"));
    status_.services.push_back(
        {.id = "web", .state = controller::ServiceState::kRunning, .container = "prod-web"});
    status_.primary = "web";
  }

  void TearDown() override { actions_.Stop(); }

  std::string Path(const std::string& rest) {
    return "/api/v1/projects/shop/deployments/prod" + rest;
  }

  // Drives a streamed answer to its end (bounded), returning its JSON lines.
  std::vector<Json> Drain(http::Response& response) {
    std::vector<Json> lines;
    EXPECT_TRUE(response.stream) << response.status << " " << response.body;
    if (!response.stream) return lines;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool more = true;
    while (more && std::chrono::steady_clock::now() < deadline) {
      std::string chunk;
      more = response.stream(chunk, false);
      size_t start = 0;
      for (size_t end; (end = chunk.find('\n', start)) != std::string::npos; start = end + 1) {
        if (end > start) lines.push_back(Json::parse(chunk.substr(start, end - start)));
      }
      if (more && chunk.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(more) << "the stream did not end";
    return lines;
  }

  controller::testing::FakeRuntime runtime_;
  controller::DeploymentStatus status_;
  store::ActionRunStore runs_{*db_, clock_};
  logs::Store output_{{.dir = dir_.File("actions")}, clock_};
  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  deployments::Actions actions_{{.runs = runs_,
                                 .runtime = runtime_,
                                 .output = output_,
                                 .status_of = [this](int64_t) {
                                   return std::optional<controller::DeploymentStatus>(status_);
                                 },
                                 .clock = clock_}};
};

TEST_F(ActionRoutesTest, ListsTheStagesActionsAndRunsThemWithTheirExitCode) {
  http::Response listed = Call("GET", Path("/actions"), user_token_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  Json body = BodyOf(listed);
  EXPECT_EQ(body["stage"], "production");
  ASSERT_EQ(body["actions"].size(), 2u);
  EXPECT_EQ(body["actions"][0]["id"], "migrate");
  EXPECT_EQ(body["actions"][0]["command"], "./migrate up");
  EXPECT_EQ(body["actions"][0]["available"], true);
  EXPECT_EQ(body["actions"][1]["command"], Json::array({"seed", "--all"}));
  EXPECT_EQ(body["actions"][1]["available"], false);
  EXPECT_TRUE(body["runs"].empty());

  http::Response run = Call("POST", Path("/actions/migrate/run"), user_token_);
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(run.content_type, "application/x-ndjson");
  std::vector<Json> lines = Drain(run);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.front()["started"]["action"], "migrate");
  EXPECT_EQ(lines.front()["started"]["started_by"], "alice");
  EXPECT_EQ(lines.back()["exit_code"], 0);
  EXPECT_EQ(lines.back()["state"], "succeeded");
  int64_t id = lines.back()["run"];

  runtime_.SetExecExit("prod-web", 7);
  http::Response exec = Call("POST", Path("/exec"), user_token_,
                             R"({"command": ["sh", "-c", "echo hi; exit 7"]})");
  ASSERT_EQ(exec.status, 200) << exec.body;
  lines = Drain(exec);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front()["started"]["service"], "web");
  EXPECT_EQ(lines.front()["started"]["action"], nullptr);
  EXPECT_EQ(lines.back()["exit_code"], 7);
  EXPECT_EQ(lines.back()["state"], "failed");

  http::Response shown = Call("GET", Path("/actions/runs/" + std::to_string(id)), user_token_);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(BodyOf(shown)["state"], "succeeded");
  EXPECT_EQ(BodyOf(shown)["command"], Json::array({"/bin/sh", "-c", "./migrate up"}));
  http::Response logs =
      Call("GET", Path("/actions/runs/" + std::to_string(id) + "/logs"), user_token_);
  ASSERT_EQ(logs.status, 200) << logs.body;
  EXPECT_EQ(BodyOf(logs)["complete"], true);
  EXPECT_TRUE(BodyOf(logs)["lines"].empty());
  http::Response followed =
      Call("GET", Path("/actions/runs/" + std::to_string(id) + "/logs?follow=1"), user_token_);
  lines = Drain(followed);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["exit_code"], 0);

  Json runs = BodyOf(Call("GET", Path("/actions/runs"), user_token_))["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["exit_code"], 7);
  EXPECT_EQ(BodyOf(Call("GET", Path("/actions"), user_token_))["runs"].size(), 2u);
}

TEST_F(ActionRoutesTest, BadInputIsRefusedWithWhatIsWrong) {
  struct Case {
    const char* method;
    std::string path;
    std::string body;
    int status;
    const char* says;
  };
  const Case cases[] = {
      {"POST", Path("/actions/deploy/run"), "", 404, "actions: migrate, seed"},
      {"POST", Path("/actions/seed/run"), "", 400, "it runs in: development"},
      {"POST", Path("/actions/migrate/run"), R"({"when": "now"})", 400, "when"},
      {"POST", Path("/exec"), R"({"command": []})", 400, "empty"},
      {"POST", Path("/exec"), R"({})", 400, "'command' is required"},
      {"POST", Path("/exec"), R"({"command": "ls -l"})", 400, "array of strings"},
      {"POST", Path("/exec"), R"({"command": ["ls", 1]})", 400, "array of strings"},
      {"POST", Path("/exec"), R"({"command": ["ls"], "component": "api"})", 404,
       "no component or add-on 'api'; it has web"},
      {"POST", Path("/exec"), R"({"command": ["ls"], "tty": true})", 400, "tty"},
      {"POST", Path("/exec"), "not json", 400, ""},
      {"GET", Path("/actions/runs/abc"), "", 400, "run"},
      {"GET", Path("/actions/runs/999"), "", 404, "no run 999"},
      {"GET", Path("/actions/runs/999/logs"), "", 404, "no run 999"},
      {"GET", Path("/actions/runs?limit=0"), "", 400, "limit"},
      {"GET", "/api/v1/projects/shop/deployments/nope/actions", "", 404, "no deployment"},
      // Another project's deployment, out of reach, is not found.
      {"GET", "/api/v1/projects/blog/deployments/prod/actions", "", 404, ""},
  };
  for (const Case& c : cases) {
    http::Response response = Call(c.method, c.path, user_token_, c.body);
    EXPECT_EQ(response.status, c.status) << c.path << " " << c.body << ": " << response.body;
    EXPECT_NE(response.body.find(c.says), std::string::npos) << c.path << ": " << response.body;
  }
  EXPECT_EQ(Call("GET", Path("/actions"), "").status, 401);
  EXPECT_TRUE(MUST(runs_.List(1, 10)).empty()) << "nothing ran";

  // Nothing runs: 409 with the reason.
  status_.services[0].state = controller::ServiceState::kCrashed;
  status_.services[0].reason = "exited with code 2";
  http::Response crashed = Call("POST", Path("/actions/migrate/run"), user_token_);
  EXPECT_EQ(crashed.status, 409) << crashed.body;
  EXPECT_NE(crashed.body.find("exited with code 2"), std::string::npos) << crashed.body;
  MUST(deployment_service_.Stop(MUST(deployment_store_.Find(1))));
  http::Response stopped = Call("POST", Path("/exec"), user_token_, R"({"command": ["ls"]})");
  EXPECT_EQ(stopped.status, 409) << stopped.body;
  EXPECT_NE(stopped.body.find("is stopped"), std::string::npos) << stopped.body;
}

}  // namespace
}  // namespace yard::api
