#include "runtime/docker_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "http/message.h"

namespace yard::runtime::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Json = nlohmann::json;

// ---- Errors -------------------------------------------------------------------------------

TEST(EngineErrorTest, MapsStatusesAndPodmanMessages) {
  struct Case {
    int status;
    std::string body;
    ErrorCode code;
  };
  const Case cases[] = {
      {404,
       R"({"cause":"no such container","message":"no container with name or ID \"x\" found: no such container","response":404})",
       ErrorCode::kNotFound},
      {409, R"({"message":"Conflict. The container name \"/web\" is already in use"})",
       ErrorCode::kAlreadyExists},
      // Podman answers 500 where Docker answers 409.
      {500,
       R"({"cause":"that name is already in use","message":"container create: the container name \"rtx-l2\" is already in use by 55e4: that name is already in use","response":500})",
       ErrorCode::kAlreadyExists},
      {500,
       R"({"cause":"network already exists","message":"network name rtx-a already used: network already exists","response":500})",
       ErrorCode::kAlreadyExists},
      {500,
       R"({"cause":"network is being used","message":"\"rtx-i\" has associated containers with it: network is being used","response":500})",
       ErrorCode::kFailedPrecondition},
      {409,
       R"({"cause":"image is in use by a container","message":"image localhost/rtx/test:1 is in use: image used by 55e4","response":409})",
       ErrorCode::kFailedPrecondition},
      {500,
       R"({"cause":"container state improper","message":"\"92f8\" is already paused: container state improper","response":500})",
       ErrorCode::kFailedPrecondition},
      {500,
       R"({"cause":"container state improper","message":"can only create exec sessions on running containers: container state improper","response":500})",
       ErrorCode::kFailedPrecondition},
      {409, R"({"message":"Container 92f8 is not running"})", ErrorCode::kFailedPrecondition},
      {409,
       R"({"message":"conflict: unable to delete 28ac: image is being used by running container 55e4"})",
       ErrorCode::kFailedPrecondition},
      {403, R"({"message":"error while removing network: network x has active endpoints"})",
       ErrorCode::kFailedPrecondition},
      {400, R"({"message":"invalid reference format"})", ErrorCode::kInvalidArgument},
      // A missing helper binary is not a missing object.
      {500,
       R"({"cause":"no such file or directory","message":"container create: container-init binary not found on the host: stat /usr/libexec/podman/catatonit: no such file or directory","response":500})",
       ErrorCode::kInternal},
      {500, "", ErrorCode::kInternal},
  };
  for (const Case& c : cases) {
    Error error = EngineError(c.status, c.body, "do it");
    EXPECT_EQ(error.code, c.code) << c.status << " " << c.body;
    EXPECT_TRUE(error.message.starts_with("do it: ")) << error.message;
  }
}

TEST(EngineErrorTest, MessageIncludesTheEnginesOwn) {
  Error error = EngineError(404, R"({"message":"no such image: foo"})", "inspect image foo");
  EXPECT_EQ(error.message, "inspect image foo: no such image: foo");
  EXPECT_EQ(EngineError(503, "", "ping").message,
            "ping: the engine answered 503 Service Unavailable");
  EXPECT_EQ(EngineError(500, "plain text\n", "x").message, "x: plain text");
}

// ---- Requests -----------------------------------------------------------------------------

TEST(RequestTest, LabelFilterIsEncodedJson) {
  std::string encoded = LabelFilter({{"io.stackyard.managed", "true"}, {"k", "v w"}});
  std::string decoded;
  ASSERT_TRUE(http::PercentDecode(encoded, decoded, false));
  EXPECT_EQ(Json::parse(decoded),
            Json::parse(R"({"label":["io.stackyard.managed=true","k=v w"]})"));
  EXPECT_EQ(encoded.find_first_of("{}\"[] ="), std::string::npos);
}

TEST(RequestTest, HasLabels) {
  Labels have = {{"a", "1"}, {"b", "2"}};
  EXPECT_TRUE(HasLabels(have, {}));
  EXPECT_TRUE(HasLabels(have, {{"a", "1"}, {"b", "2"}}));
  EXPECT_FALSE(HasLabels(have, {{"a", "1"}, {"c", "3"}}));
  EXPECT_FALSE(HasLabels(have, {{"a", "2"}}));
  EXPECT_FALSE(HasLabels({}, {{"a", "1"}}));
}

TEST(RequestTest, EscapeRefKeepsImageReferenceSeparators) {
  EXPECT_EQ(EscapeRef("localhost/stackyard/shop/web:3f2a"), "localhost/stackyard/shop/web:3f2a");
  EXPECT_EQ(EscapeRef("a b?c#d"), "a%20b%3Fc%23d");
}

TEST(RequestTest, ContainerCreateBodyHasEveryField) {
  ContainerSpec spec;
  spec.name = "web-1";
  spec.image = "localhost/app:1";
  spec.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
  spec.cmd = {"exec app"};
  spec.env = {{"A", "1"}, {"B", "x=y"}};
  spec.workdir = "/srv";
  spec.user = "1000";
  spec.labels = {{"io.stackyard.managed", "true"}};
  spec.network = "net-a";
  spec.aliases = {"web", "web.internal"};
  spec.hostname = "web";
  spec.mounts = {{"/data/vol", "/var/lib/app", false}, {"/data/ro", "/etc/app", true}};
  spec.ports = {{8000, "127.0.0.1", 0}, {9000, "127.0.0.1", 19000}};
  spec.cpus = 0.5;
  spec.memory_bytes = 256 << 20;
  spec.init = true;
  Json body = Json::parse(ContainerCreateBody(spec));
  EXPECT_EQ(body["Image"], "localhost/app:1");
  EXPECT_EQ(body["Entrypoint"], Json::parse(R"(["/bin/sh","-c"])"));
  EXPECT_EQ(body["Cmd"], Json::parse(R"(["exec app"])"));
  EXPECT_EQ(body["Env"], Json::parse(R"(["A=1","B=x=y"])"));
  EXPECT_EQ(body["WorkingDir"], "/srv");
  EXPECT_EQ(body["User"], "1000");
  EXPECT_EQ(body["Hostname"], "web");
  EXPECT_EQ(body["Labels"], Json::parse(R"({"io.stackyard.managed":"true"})"));
  EXPECT_EQ(body["ExposedPorts"], Json::parse(R"({"8000/tcp":{},"9000/tcp":{}})"));
  const Json& host = body["HostConfig"];
  EXPECT_EQ(host["PortBindings"], Json::parse(R"({"8000/tcp":[{"HostIp":"127.0.0.1","HostPort":""}],
                            "9000/tcp":[{"HostIp":"127.0.0.1","HostPort":"19000"}]})"));
  EXPECT_EQ(host["Mounts"], Json::parse(R"([
      {"Type":"bind","Source":"/data/vol","Target":"/var/lib/app","ReadOnly":false},
      {"Type":"bind","Source":"/data/ro","Target":"/etc/app","ReadOnly":true}])"));
  EXPECT_EQ(host["NanoCpus"], 500000000);
  EXPECT_EQ(host["Memory"], 256 << 20);
  EXPECT_EQ(host["Init"], true);
  EXPECT_EQ(host["NetworkMode"], "net-a");
  EXPECT_EQ(body["NetworkingConfig"],
            Json::parse(R"({"EndpointsConfig":{"net-a":{"Aliases":["web","web.internal"]}}})"));
}

TEST(RequestTest, ContainerCreateBodyLeavesImageDefaultsAlone) {
  ContainerSpec spec;
  spec.image = "img";
  spec.init = false;
  Json body = Json::parse(ContainerCreateBody(spec));
  EXPECT_FALSE(body.contains("Entrypoint"));
  EXPECT_FALSE(body.contains("Cmd"));
  EXPECT_FALSE(body.contains("Env"));
  EXPECT_FALSE(body.contains("User"));
  EXPECT_FALSE(body.contains("ExposedPorts"));
  EXPECT_FALSE(body.contains("NetworkingConfig"));
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(body["HostConfig"]["Init"], false);
  EXPECT_FALSE(body["HostConfig"].contains("NanoCpus"));
  EXPECT_FALSE(body["HostConfig"].contains("Memory"));

  spec.entrypoint = std::vector<std::string>{};
  body = Json::parse(ContainerCreateBody(spec));
  EXPECT_EQ(body["Entrypoint"], Json::parse(R"([""])"));
}

TEST(RequestTest, NetworkCreateBody) {
  NetworkSpec spec;
  spec.name = "yard-shop";
  spec.labels = {{"a", "b"}};
  EXPECT_EQ(Json::parse(NetworkCreateBody(spec)),
            Json::parse(R"({"Name":"yard-shop","Driver":"bridge","CheckDuplicate":true,
                            "Labels":{"a":"b"},"Options":{"isolate":"true"}})"));
  spec.isolate = false;
  EXPECT_FALSE(Json::parse(NetworkCreateBody(spec)).contains("Options"));
}

TEST(RequestTest, ExecCreateBody) {
  ExecSpec spec;
  spec.cmd = {"sh", "-c", "echo hi"};
  spec.env = {{"A", "1"}};
  spec.workdir = "/tmp";
  spec.user = "nobody";
  EXPECT_EQ(Json::parse(ExecCreateBody(spec)),
            Json::parse(R"({"Cmd":["sh","-c","echo hi"],"AttachStdin":false,"AttachStdout":true,
                            "AttachStderr":true,"Tty":false,"Env":["A=1"],"WorkingDir":"/tmp",
                            "User":"nobody"})"));
}

TEST(RequestTest, ExecStreamBodies) {
  ExecStreamSpec spec;
  spec.cmd = {"/bin/sh", "-c", "cat"};
  spec.env = {{"LANG", "C.UTF-8"}};
  EXPECT_EQ(Json::parse(ExecStreamCreateBody(spec)),
            Json::parse(R"({"Cmd":["/bin/sh","-c","cat"],"AttachStdin":true,"AttachStdout":true,
                            "AttachStderr":true,"Tty":false,"Env":["LANG=C.UTF-8"],
                            "DetachKeys":"ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_"})"));
  EXPECT_EQ(Json::parse(ExecStreamStartBody(spec)), Json::parse(R"({"Detach":false,"Tty":false})"));

  spec.tty = true;
  spec.rows = 40;
  spec.cols = 120;
  spec.workdir = "/app";
  Json create = Json::parse(ExecStreamCreateBody(spec));
  EXPECT_EQ(create["Tty"], true);
  EXPECT_EQ(create["ConsoleSize"], Json::parse("[40,120]"));
  EXPECT_EQ(create["WorkingDir"], "/app");
  EXPECT_EQ(create["DetachKeys"], "ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@");
  EXPECT_EQ(Json::parse(ExecStreamStartBody(spec)),
            Json::parse(R"({"Detach":false,"Tty":true,"h":40,"w":120,"ConsoleSize":[40,120]})"));
}

TEST(RequestTest, BuildQuery) {
  BuildSpec spec;
  spec.tag = "localhost/stackyard/shop/web:3f2a";
  spec.args = {{"VERSION", "1 2"}};
  spec.labels = {{"io.stackyard.managed", "true"}};
  spec.cpus = 1.5;
  spec.memory_bytes = 1 << 30;
  std::map<std::string, std::string> query;
  std::string path;
  ASSERT_TRUE(http::ParseTarget("/build?" + BuildQuery(spec, BuildLabels::kObject), path, query));
  EXPECT_EQ(query["t"], "localhost/stackyard/shop/web:3f2a");
  EXPECT_EQ(query["dockerfile"], "Dockerfile");
  EXPECT_EQ(Json::parse(query["labels"]), Json::parse(R"({"io.stackyard.managed":"true"})"));
  EXPECT_EQ(Json::parse(query["buildargs"]), Json::parse(R"({"VERSION":"1 2"})"));
  EXPECT_EQ(query["memory"], std::to_string(1 << 30));
  EXPECT_EQ(query["memswap"], std::to_string(1 << 30));  // no swap on top
  EXPECT_EQ(query["cpuperiod"], "100000");
  EXPECT_EQ(query["cpuquota"], "150000");
  EXPECT_FALSE(query.contains("cgroupparent"));

  spec.dockerfile = "docker/Dockerfile.prod";
  spec.cpus = 0;
  spec.memory_bytes = 0;
  spec.labels["a.first"] = "x y";
  query.clear();
  ASSERT_TRUE(
      http::ParseTarget("/build?" + BuildQuery(spec, BuildLabels::kSortedList), path, query));
  EXPECT_EQ(Json::parse(query["labels"]),
            Json::parse(R"(["a.first=x y","io.stackyard.managed=true"])"));
  EXPECT_EQ(query["dockerfile"], "docker/Dockerfile.prod");
  EXPECT_FALSE(query.contains("cpuquota"));
  EXPECT_FALSE(query.contains("memory"));
  EXPECT_FALSE(query.contains("memswap"));

  query.clear();
  ASSERT_TRUE(http::ParseTarget(
      "/build?" + BuildQuery(spec, BuildLabels::kSortedList, "/stackyard-build-i-0a1b"), path,
      query));
  EXPECT_EQ(query["cgroupparent"], "/stackyard-build-i-0a1b");
}

// ---- Answers ------------------------------------------------------------------------------

TEST(AnswerTest, VersionTellsPodmanFromDocker) {
  auto podman = ParseVersion(R"({"Platform":{"Name":"linux/amd64/debian-12"},
      "Components":[{"Name":"Podman Engine","Version":"4.3.1"},{"Name":"Conmon","Version":"2.1.6"}],
      "Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24"})");
  ASSERT_TRUE(podman);
  EXPECT_EQ(podman->name, "podman");
  EXPECT_EQ(podman->version, "4.3.1");
  EXPECT_EQ(podman->api_version, "1.41");
  auto docker = ParseVersion(R"({"Components":[{"Name":"Engine","Version":"24.0.7"}],
      "Version":"24.0.7","ApiVersion":"1.43"})");
  ASSERT_TRUE(docker);
  EXPECT_EQ(docker->name, "docker");
  EXPECT_EQ(ParseVersion("not json").error().code, ErrorCode::kInternal);
  EXPECT_FALSE(ParseVersion("{}"));
}

TEST(AnswerTest, ParseId) {
  EXPECT_EQ(*ParseId(R"({"Id":"3ceb5b","Warnings":[]})"), "3ceb5b");
  EXPECT_EQ(*ParseId(R"({"Id":"99f1","Warning":"\"isolate: true\" is not a recognized option"})"),
            "99f1");
  EXPECT_FALSE(ParseId(R"({"Warnings":[]})"));
}

// Trimmed from Podman 4.3's answer for a running container with a published port.
constexpr std::string_view kInspectRunning = R"({
  "Id": "3ceb5ba4680faae3f265065117fd1cd9814d1a564867d14b9ea3b6bc9223cb3e",
  "Created": "2026-11-27T02:07:05.2Z",
  "Name": "/rtx-srv",
  "Image": "sha256:9edcbb0d813d253408acab8453e5b2179657575ad009a9943493383ba42c58f5",
  "State": {"Status": "running", "Running": true, "Paused": false, "OOMKilled": false,
            "Pid": 25307, "ExitCode": 0, "StartedAt": "2026-11-27T02:07:05.323125188Z",
            "FinishedAt": "0001-01-01T00:00:00Z"},
  "Config": {"Image": "docker.io/library/debian:bookworm-slim",
             "Labels": {"io.stackyard.managed": "true", "x": "1"}},
  "NetworkSettings": {
    "IPAddress": "",
    "Ports": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "43423"}], "9000/tcp": null,
              "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}]},
    "Networks": {"rtx-a": {"Aliases": ["web", "3ceb5ba4680f"], "IPAddress": "10.89.0.2"}},
    "SandboxKey": "/run/netns/netns-9031fb8d-661e-65af-e335-f73b98d60282"
  }
})";

TEST(AnswerTest, ContainerInspect) {
  auto info = ParseContainerInspect(kInspectRunning);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->id, "3ceb5ba4680faae3f265065117fd1cd9814d1a564867d14b9ea3b6bc9223cb3e");
  EXPECT_EQ(info->name, "rtx-srv");
  EXPECT_EQ(info->image, "docker.io/library/debian:bookworm-slim");
  EXPECT_EQ(info->image_id,
            "sha256:9edcbb0d813d253408acab8453e5b2179657575ad009a9943493383ba42c58f5");
  EXPECT_THAT(info->labels, ElementsAre(Pair("io.stackyard.managed", "true"), Pair("x", "1")));
  EXPECT_EQ(info->state, ContainerState::kRunning);
  EXPECT_EQ(info->started_unix, 1795745225);  // 2026-11-27T02:07:05Z
  EXPECT_EQ(info->finished_unix, 0);
  EXPECT_THAT(info->published, ElementsAre(Pair(8000, 43423)));
  EXPECT_EQ(info->ip, "10.89.0.2");
  EXPECT_EQ(info->pid, 25307);
  EXPECT_EQ(info->netns_path, "/run/netns/netns-9031fb8d-661e-65af-e335-f73b98d60282");
}

TEST(AnswerTest, ContainerInspectExited) {
  auto info = ParseContainerInspect(R"({"Id":"92f8","Name":"/rtx-log",
      "State":{"Status":"exited","ExitCode":143,"OOMKilled":true,
               "StartedAt":"2026-11-27T02:08:48.034203743Z",
               "FinishedAt":"2026-11-27T02:09:05.300568188Z"},
      "Config":{"Image":"img","Labels":null},"NetworkSettings":{"Ports":{},"Networks":{}}})");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, ContainerState::kExited);
  EXPECT_EQ(info->exit_code, 143);
  EXPECT_TRUE(info->oom_killed);
  EXPECT_EQ(info->finished_unix - info->started_unix, 17);
  EXPECT_TRUE(info->labels.empty());
  EXPECT_TRUE(info->published.empty());
  EXPECT_EQ(info->pid, 0);
  EXPECT_EQ(info->netns_path, "");
  EXPECT_FALSE(ParseContainerInspect(R"({"Name":"/x"})"));
}

TEST(AnswerTest, ContainerList) {
  auto list = ParseContainerList(R"([
    {"Id":"55e4","Names":["/rtx-l2"],"Image":"localhost/rtx/test:1","Created":1795745351,
     "Ports":[{"IP":"127.0.0.1","PrivatePort":8000,"PublicPort":34929,"Type":"tcp"},
              {"IP":"","PrivatePort":9000,"PublicPort":0,"Type":"tcp"}],
     "Labels":{"io.stackyard.managed":"true","k":"v w"},
     "State":"exited","Status":"Exited (137) 1 second ago"},
    {"Id":"66aa","Names":["/b"],"Image":"img","Labels":{},"State":"running","Status":"Up 2 hours",
     "Ports":null}
  ])");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  const ContainerInfo& first = (*list)[0];
  EXPECT_EQ(first.id, "55e4");
  EXPECT_EQ(first.name, "rtx-l2");
  EXPECT_EQ(first.image, "localhost/rtx/test:1");
  EXPECT_EQ(first.state, ContainerState::kExited);
  EXPECT_EQ(first.exit_code, 137);
  EXPECT_THAT(first.published, ElementsAre(Pair(8000, 34929)));
  EXPECT_EQ(first.labels.at("k"), "v w");
  EXPECT_EQ((*list)[1].state, ContainerState::kRunning);
  EXPECT_EQ((*list)[1].exit_code, 0);
  EXPECT_FALSE(ParseContainerList(R"({"message":"boom"})"));
}

TEST(AnswerTest, Images) {
  auto image = ParseImageInspect(R"({"Id":"sha256:28ac","RepoTags":["localhost/rtx/test:1"],
      "Created":"2026-11-27T02:08:37.474766307Z","Size":170408336,
      "Config":{"Labels":{"io.stackyard.managed":"true"}}})");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->id, "sha256:28ac");
  EXPECT_THAT(image->tags, ElementsAre("localhost/rtx/test:1"));
  EXPECT_EQ(image->created_unix, 1795745317);
  EXPECT_EQ(image->size_bytes, 170408336);
  EXPECT_EQ(image->labels.at("io.stackyard.managed"), "true");

  auto list = ParseImageList(R"([{"Id":"sha256:28ac","RepoTags":["localhost/rtx/test:1"],
      "Created":1795745317,"Size":170408336,"Labels":{"foo":"bar"}},
      {"Id":"sha256:dang","RepoTags":["<none>:<none>"],"Created":1,"Size":2,"Labels":null}])");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].created_unix, 1795745317);
  EXPECT_EQ((*list)[0].labels.at("foo"), "bar");
  EXPECT_TRUE((*list)[1].tags.empty());
}

TEST(AnswerTest, NetworksFromEitherApi) {
  auto compat = ParseNetworkList(R"([{"Name":"rtx-a","Id":"99f1","Driver":"bridge",
      "IPAM":{"Config":[{"Subnet":"10.89.7.0/24","Gateway":"10.89.7.1"}]},
      "Options":{},"Labels":{"io.stackyard.managed":"true"}}])");
  auto libpod = ParseNetworkList(R"([{"name":"rtx-b","id":"181d","driver":"bridge",
      "subnets":[{"subnet":"10.89.3.0/24","gateway":"10.89.3.1"}],
      "labels":{"io.stackyard.managed":"true"},"options":{"isolate":"true"}}])");
  ASSERT_TRUE(compat);
  ASSERT_TRUE(libpod);
  ASSERT_EQ(compat->size(), 1u);
  ASSERT_EQ(libpod->size(), 1u);
  EXPECT_EQ((*compat)[0].name, "rtx-a");
  EXPECT_EQ((*compat)[0].id, "99f1");
  EXPECT_EQ((*libpod)[0].name, "rtx-b");
  EXPECT_EQ((*libpod)[0].id, "181d");
  EXPECT_EQ((*libpod)[0].labels.at("io.stackyard.managed"), "true");
  EXPECT_EQ((*compat)[0].gateway, "10.89.7.1");
  EXPECT_EQ((*libpod)[0].gateway, "10.89.3.1");
}

TEST(AnswerTest, ExecState) {
  auto done = ParseExecState(R"({"CanRemove":true,"ContainerID":"92f8","ExitCode":7,
      "ID":"30d7","Running":false,"Pid":0})");
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->running);
  EXPECT_EQ(done->exit_code, 7);
  EXPECT_EQ(done->pid, 0);
  auto running = ParseExecState(R"({"Running":true,"ExitCode":null,"Pid":29475})");
  ASSERT_TRUE(running);
  EXPECT_TRUE(running->running);
  EXPECT_EQ(running->exit_code, -1);
  EXPECT_EQ(running->pid, 29475);
}

TEST(AnswerTest, StatsFromPodmanHaveOneSample) {
  auto sample = ParseStats(R"({"read":"2026-11-27T02:08:56.423863004Z",
      "preread":"0001-01-01T00:00:00Z",
      "cpu_stats":{"cpu_usage":{"total_usage":76188052},"system_cpu_usage":13025853062787,
                   "online_cpus":2},
      "precpu_stats":{"cpu_usage":{"total_usage":0}},
      "memory_stats":{"usage":647168,"limit":25276059648}})");
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->read_ns, 1795745336423863004);
  EXPECT_EQ(sample->pre_read_ns, 0);
  EXPECT_EQ(sample->cpu_total_ns, 76188052);
  EXPECT_EQ(sample->pre_cpu_total_ns, 0);
  EXPECT_EQ(sample->memory_bytes, 647168);
  EXPECT_EQ(sample->memory_limit_bytes, 25276059648);
}

TEST(AnswerTest, StatsFromDockerSubtractThePageCache) {
  auto sample = ParseStats(R"({"read":"2026-01-01T00:00:01Z","preread":"2026-01-01T00:00:00Z",
      "cpu_stats":{"cpu_usage":{"total_usage":3000000000}},
      "precpu_stats":{"cpu_usage":{"total_usage":2500000000}},
      "memory_stats":{"usage":1000,"limit":4000,"stats":{"inactive_file":300}}})");
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->memory_bytes, 700);
  EXPECT_DOUBLE_EQ(CpuPercent(sample->pre_cpu_total_ns, sample->pre_read_ns, sample->cpu_total_ns,
                              sample->read_ns),
                   50.0);
}

TEST(AnswerTest, CpuPercent) {
  EXPECT_DOUBLE_EQ(CpuPercent(0, 1000000000, 2000000000, 2000000000), 200.0);
  EXPECT_EQ(CpuPercent(0, 0, 100, 1000), 0);       // no earlier sample
  EXPECT_EQ(CpuPercent(0, 2000, 100, 1000), 0);    // reversed
  EXPECT_EQ(CpuPercent(500, 1000, 100, 2000), 0);  // counter went back (restart)
}

TEST(AnswerTest, ContainerStates) {
  EXPECT_EQ(ParseContainerState("created"), ContainerState::kCreated);
  EXPECT_EQ(ParseContainerState("configured"), ContainerState::kCreated);
  EXPECT_EQ(ParseContainerState("running"), ContainerState::kRunning);
  EXPECT_EQ(ParseContainerState("paused"), ContainerState::kPaused);
  EXPECT_EQ(ParseContainerState("restarting"), ContainerState::kRestarting);
  EXPECT_EQ(ParseContainerState("exited"), ContainerState::kExited);
  EXPECT_EQ(ParseContainerState("stopped"), ContainerState::kExited);
  EXPECT_EQ(ParseContainerState("dead"), ContainerState::kDead);
  EXPECT_EQ(ParseContainerState("weird"), ContainerState::kUnknown);
}

TEST(AnswerTest, EngineTimes) {
  EXPECT_EQ(ParseEngineTime("1970-01-01T00:00:01Z"), 1);
  EXPECT_EQ(ParseEngineTime("2026-11-27T02:08:48Z"), 1795745328);
  EXPECT_EQ(ParseEngineTime("2026-11-27T02:08:48.999999999Z"), 1795745328);
  EXPECT_EQ(ParseEngineTime("2026-11-27T03:08:48+01:00"), 1795745328);
  EXPECT_EQ(ParseEngineTime("2000-02-29T00:00:00Z"), 951782400);
  EXPECT_EQ(ParseEngineTime("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseEngineTime(""), 0);
  EXPECT_EQ(ParseEngineTime("2026-11-27"), 0);
  EXPECT_EQ(ParseEngineTime("2026-13-27T00:00:00Z"), 0);
  EXPECT_EQ(ParseEngineTime("2026-11-27T00:00:00Zjunk"), 0);
}

}  // namespace
}  // namespace yard::runtime::docker
