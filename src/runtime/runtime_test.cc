// DockerRuntime and EngineProcess without a real engine (canned_engine_test_fixture.h):
// containers, networks, errors, logs and stats.
#include "runtime/runtime.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "runtime/canned_engine_test_fixture.h"
#include "runtime/engine_process.h"

namespace yard::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;
using namespace std::chrono_literals;

TEST(ContainerStateTest, Names) {
  EXPECT_EQ(ContainerStateName(ContainerState::kCreated), "created");
  EXPECT_EQ(ContainerStateName(ContainerState::kRunning), "running");
  EXPECT_EQ(ContainerStateName(ContainerState::kPaused), "paused");
  EXPECT_EQ(ContainerStateName(ContainerState::kRestarting), "restarting");
  EXPECT_EQ(ContainerStateName(ContainerState::kExited), "exited");
  EXPECT_EQ(ContainerStateName(ContainerState::kDead), "dead");
  EXPECT_EQ(ContainerStateName(ContainerState::kUnknown), "unknown");
}

TEST_F(CannedEngineTest, PingNamesTheEngine) {
  Serve([](const CannedRequest& request) {
    return request.target == "/v1.41/version" ? Answer(200, kPodmanVersion) : Answer(404, "");
  });
  auto info = runtime_->Ping();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->name, "podman");
  EXPECT_EQ(info->version, "4.3.1");
  EXPECT_EQ(ProbeEngine(engine_->endpoint())->name, "podman");
}

TEST_F(CannedEngineTest, MissingSocketIsUnavailable) {
  DockerRuntime runtime(
      http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = dir_.File("nothing.sock")},
      "inst-1");
  auto info = runtime.Ping();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(runtime.StartContainer("x").error().code, ErrorCode::kUnavailable);
}

TEST_F(CannedEngineTest, CreateAddsTheManagedLabels) {
  Serve([](const CannedRequest& request) {
    if (request.target.starts_with("/v1.41/containers/create")) {
      return Answer(201, R"({"Id":"c0ffee","Warnings":[]})");
    }
    if (request.target == "/v1.41/networks/create") {
      return Answer(201, R"({"Id":"n1","Warning":"\"isolate: true\" is not a recognized option"})");
    }
    return Answer(404, "");
  });
  ContainerSpec spec;
  spec.name = "web 1";
  spec.image = "img";
  spec.labels = {{"io.stackyard.project", "shop"}, {"io.stackyard.installation", "other"}};
  auto id = runtime_->CreateContainer(spec);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "c0ffee");
  auto network = runtime_->CreateNetwork({.name = "net-a", .labels = {{"k", "v"}}});
  ASSERT_TRUE(network) << network.error().message;
  EXPECT_EQ(network->id, "n1");
  EXPECT_EQ(network->labels.at("io.stackyard.installation"), "inst-1");

  auto requests = engine_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1.41/containers/create?name=web%201");
  Json labels = Json::parse(requests[0].body)["Labels"];
  EXPECT_EQ(labels, Json::parse(R"({"io.stackyard.managed":"true",
      "io.stackyard.installation":"inst-1","io.stackyard.project":"shop"})"));
  Json network_body = Json::parse(requests[1].body);
  EXPECT_EQ(network_body["Labels"]["io.stackyard.managed"], "true");
  EXPECT_EQ(network_body["Options"]["isolate"], "true");
}

TEST_F(CannedEngineTest, ErrorsCarryTheEnginesMessage) {
  Serve([](const CannedRequest& request) {
    if (request.target.starts_with("/v1.41/containers/create")) {
      return Answer(
          500,
          R"({"cause":"that name is already in use","message":"container create: the container name \"web\" is already in use by 55e4","response":500})");
    }
    if (request.target == "/v1.41/containers/gone/start") {
      return Answer(
          404,
          R"({"cause":"no such container","message":"no container with name or ID \"gone\" found: no such container","response":404})");
    }
    // Already running, already stopped.
    if (request.target == "/v1.41/containers/up/start") return Answer(304, "");
    if (request.target.starts_with("/v1.41/containers/down/stop")) return Answer(304, "");
    if (request.target == "/v1.41/containers/gone/json") return Answer(404, "");
    return Answer(500, "{}");
  });
  auto created = runtime_->CreateContainer({.name = "web", .image = "img"});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(created.error().message, HasSubstr("already in use by 55e4"));
  auto started = runtime_->StartContainer("gone");
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(started.error().message, HasSubstr("start container gone: no container"));
  EXPECT_TRUE(runtime_->StartContainer("up"));
  EXPECT_TRUE(runtime_->StopContainer("down", 5s));
  auto inspected = runtime_->InspectContainer("gone");
  ASSERT_TRUE(inspected);
  EXPECT_FALSE(inspected->has_value());
}

TEST_F(CannedEngineTest, PodmanNetworksAreListedThroughItsOwnApi) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/version") return Answer(200, kPodmanVersion);
    if (request.target.starts_with("/v4.0.0/libpod/networks/json?filters=")) {
      // The second one is filtered out here too, should the engine's filter be lax.
      return Answer(200, R"([{"name":"net-a","id":"99f1","options":{"isolate":"true"},
                              "labels":{"io.stackyard.managed":"true",
                                        "io.stackyard.installation":"inst-1",
                                        "io.stackyard.project":"shop"}},
                             {"name":"net-b","id":"18a2",
                              "labels":{"io.stackyard.managed":"true"}}])");
    }
    return Answer(500, R"({"message":"the compat network list must not be used"})");
  });
  auto networks = runtime_->ListNetworks({{"io.stackyard.project", "shop"}});
  ASSERT_TRUE(networks) << networks.error().message;
  ASSERT_EQ(networks->size(), 1u);
  EXPECT_EQ((*networks)[0].name, "net-a");
  auto requests = engine_->requests();
  ASSERT_EQ(requests.size(), 2u);
  std::string path, filters;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(http::ParseTarget(requests[1].target, path, query));
  EXPECT_EQ(Json::parse(query["filters"]),
            Json::parse(R"({"label":["io.stackyard.installation=inst-1",
                "io.stackyard.managed=true","io.stackyard.project=shop"]})"));
}

TEST_F(CannedEngineTest, LogsAreDemultiplexedAcrossChunks) {
  std::string frames = Frame(1, "out1\n") + Frame(2, "err1\n") + Frame(1, "out2\n");
  Serve([&](const CannedRequest& request) {
    if (!request.target.starts_with("/v1.41/containers/c1/logs?")) return Answer(404, "");
    // Chunk boundaries fall inside headers and payloads.
    return Chunked({frames.substr(0, 3), frames.substr(3, 9), frames.substr(12)},
                   "application/octet-stream");
  });
  auto logs = runtime_->Logs("c1", {.tail = -1, .timestamps = true});
  ASSERT_TRUE(logs) << logs.error().message;
  EXPECT_EQ(*logs, "out1\nerr1\nout2\n");
  EXPECT_THAT(engine_->requests()[0].target, HasSubstr("tail=all&timestamps=1"));
}

TEST_F(CannedEngineTest, FollowLogsOnDockerFollowsWhileItRuns) {
  std::string frames = Frame(1, "2026-11-27T14:59:11.000000001Z out\n") +
                       Frame(2, "2026-11-27T14:59:11.000000002Z err\n");
  Serve([&](const CannedRequest& request) {
    if (request.target == "/v1.41/version") {
      return Answer(200, R"({"Version":"24.0.7","ApiVersion":"1.43","Components":[{"Name":"Engine"}]})");
    }
    if (request.target == "/v1.41/containers/c1/json") {
      return Answer(200, R"({"Id":"c1","State":{"Status":"running"}})");
    }
    if (request.target == "/v1.41/containers/c2/json") {
      return Answer(200, R"({"Id":"c2","State":{"Status":"exited"}})");
    }
    if (request.target.starts_with("/v1.41/containers/c1/logs?") ||
        request.target.starts_with("/v1.41/containers/c2/logs?")) {
      return Chunked({frames.substr(0, 5), frames.substr(5)}, "application/octet-stream");
    }
    return Answer(404, R"({"message":"no such container"})");
  });
  std::string got;
  auto sink = [&](std::string_view chunk) { got += chunk; };
  Status followed = runtime_->FollowLogs("c1", 1'795'791'551'000'000'000, sink, nullptr);
  ASSERT_TRUE(followed) << followed.error().message;
  EXPECT_EQ(got, frames);
  // Docker takes lines from `since`, Podman after it: one nanosecond less suits both.
  EXPECT_THAT(engine_->requests().back().target,
              HasSubstr("timestamps=1&follow=1&since=1795791550.999999999"));
  got.clear();
  ASSERT_TRUE(runtime_->FollowLogs("c2", 0, sink, nullptr));
  EXPECT_EQ(got, frames);
  EXPECT_THAT(engine_->requests().back().target, HasSubstr("follow=0"));
  EXPECT_THAT(engine_->requests().back().target, Not(HasSubstr("since")));
  Status missing = runtime_->FollowLogs("c3", 0, sink, nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(CannedEngineTest, FollowLogsOnALocalPodmanReadsConmonsFile) {
  std::string path = dir_.File("ctr.log");
  {
    std::ofstream file(path);
    file << "2026-11-27T14:59:11.637496606+00:00 stdout F from the file\n";
  }
  Serve([&](const CannedRequest& request) {
    if (request.target == "/v1.41/version") return Answer(200, kPodmanVersion);
    if (request.target == "/v4.0.0/libpod/containers/c1/json") {
      Json answer = {{"State", {{"Status", "exited"}}},
                     {"HostConfig", {{"LogConfig", {{"Type", "k8s-file"}, {"Path", path}}}}}};
      return Answer(200, answer.dump());
    }
    if (request.target == "/v4.0.0/libpod/containers/c2/json") {
      return Answer(200, R"({"State":{"Status":"exited"},
                             "HostConfig":{"LogConfig":{"Type":"journald"}}})");
    }
    if (request.target == "/v1.41/containers/c2/json") {
      return Answer(200, R"({"Id":"c2","State":{"Status":"exited"}})");
    }
    if (request.target.starts_with("/v1.41/containers/c2/logs?")) {
      return Chunked({Frame(1, "2026-11-27T14:59:11Z from the api\n")}, "application/octet-stream");
    }
    return Answer(404, R"({"message":"no such container"})");
  });
  std::string got;
  auto sink = [&](std::string_view chunk) { got += chunk; };
  Status followed = runtime_->FollowLogs("c1", 0, sink, nullptr);
  ASSERT_TRUE(followed) << followed.error().message;
  EXPECT_EQ(got, Frame(1, "2026-11-27T14:59:11.637496606+00:00 from the file\n"));
  for (const CannedRequest& request : engine_->requests()) {
    EXPECT_THAT(request.target, Not(HasSubstr("/logs")));
  }
  // Another log driver: the API, without following a container that does not run.
  got.clear();
  ASSERT_TRUE(runtime_->FollowLogs("c2", 0, sink, nullptr));
  EXPECT_EQ(got, Frame(1, "2026-11-27T14:59:11Z from the api\n"));
  EXPECT_THAT(engine_->requests().back().target, HasSubstr("follow=0"));
  Status missing = runtime_->FollowLogs("c3", 0, sink, nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(CannedEngineTest, StatsFromSingleSamplesUseTwoCalls) {
  std::atomic<int> calls = 0;
  Serve([&](const CannedRequest&) {
    int n = calls++;
    // Half a core: 250 ms of CPU per 500 ms.
    return Answer(200, fmt::format(R"({{"read":"2026-01-01T00:00:0{}.000000000Z",
        "preread":"0001-01-01T00:00:00Z","cpu_stats":{{"cpu_usage":{{"total_usage":{}}}}},
        "precpu_stats":{{"cpu_usage":{{"total_usage":0}}}},
        "memory_stats":{{"usage":{},"limit":1000000}}}})",
                                   n, 1000000000 + n * 500000000, 1000 + n));
  });
  auto first = runtime_->ContainerStats("c1");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_DOUBLE_EQ(first->cpu_percent, 50.0);
  EXPECT_EQ(first->memory_bytes, 1001);
  EXPECT_EQ(first->memory_limit_bytes, 1000000);
  // The next call compares with the sample the first one kept.
  auto second = runtime_->ContainerStats("c1");
  ASSERT_TRUE(second);
  EXPECT_DOUBLE_EQ(second->cpu_percent, 50.0);
  EXPECT_EQ(calls.load(), 3);
}

}  // namespace
}  // namespace yard::runtime
