// DockerRuntime and EngineProcess without a real engine: a canned engine on a unix socket
// answers with what Podman 4.3 answered when these tests were written.

#include "runtime/runtime.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/message.h"
#include "runtime/docker_runtime.h"
#include "runtime/engine_process.h"
#include "testing/temp_dir.h"

namespace yard::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;
using namespace std::chrono_literals;

struct CannedRequest {
  std::string method;
  std::string target;
  std::string body;
};

// Serves one connection at a time on a unix socket; `handler` returns the raw HTTP response
// (status line, headers, body), which is written before the connection is closed.
class CannedEngine {
 public:
  using Handler = std::function<std::string(const CannedRequest&)>;

  CannedEngine(const std::string& socket_path, Handler handler)
      : socket_path_(socket_path), handler_(std::move(handler)) {
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listen_fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on " << socket_path_;
    }
    if (pipe2(stop_pipe_, O_CLOEXEC) != 0) ADD_FAILURE() << "pipe";
    thread_ = std::thread([this] { Serve(); });
  }

  ~CannedEngine() {
    [[maybe_unused]] ssize_t written = write(stop_pipe_[1], "x", 1);
    thread_.join();
    close(listen_fd_);
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
  }

  http::Endpoint endpoint() const {
    return http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path_};
  }

  std::vector<CannedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      Handle(fd);
      close(fd);
    }
  }

  void Handle(int fd) {
    std::string data;
    char buffer[65536];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
    }
    CannedRequest request;
    std::string head = data.substr(0, header_end);
    size_t space = head.find(' ');
    request.method = head.substr(0, space);
    request.target = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
    size_t length = 0;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (size_t at = lower.find("content-length: "); at != std::string::npos) {
      length = std::stoul(lower.substr(at + 16));
    }
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      request.body.append(buffer, static_cast<size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    std::string response = handler_(request);
    std::string_view rest = response;
    while (!rest.empty()) {
      ssize_t n = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }

  std::string socket_path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<CannedRequest> requests_;
};

std::string Answer(int status, std::string_view body, std::string_view type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(http::ReasonPhrase(status)) +
         "\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string Chunked(const std::vector<std::string>& chunks,
                    std::string_view type = "application/json") {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(type) +
                    "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& chunk : chunks) {
    char size[32];
    snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
    out += size + chunk + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string Frame(char stream, std::string_view payload) {
  std::string frame(8, '\0');
  frame[0] = stream;
  uint32_t size = static_cast<uint32_t>(payload.size());
  frame[4] = static_cast<char>(size >> 24);
  frame[5] = static_cast<char>(size >> 16);
  frame[6] = static_cast<char>(size >> 8);
  frame[7] = static_cast<char>(size);
  return frame + std::string(payload);
}

constexpr std::string_view kPodmanVersion =
    R"({"Components":[{"Name":"Podman Engine","Version":"4.3.1"}],"Version":"4.3.1",
        "ApiVersion":"1.41"})";

class CannedEngineTest : public ::testing::Test {
 protected:
  void Serve(CannedEngine::Handler handler) {
    engine_.emplace(dir_.File("engine.sock"), std::move(handler));
    runtime_.emplace(engine_->endpoint(), "inst-1");
  }

  testing::TempDir dir_;
  std::optional<CannedEngine> engine_;
  std::optional<DockerRuntime> runtime_;
};

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

TEST_F(CannedEngineTest, ExecReadsTheStreamUntilTheEngineClosesIt) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/containers/c1/exec") {
      Json body = Json::parse(request.body);
      EXPECT_EQ(body["Cmd"], Json::parse(R"(["sh","-c","exit 7"])"));
      return Answer(201, R"({"Id":"e1"})");
    }
    if (request.target == "/v1.41/exec/e1/start") {
      // Podman's answer: no length, no chunking; the body ends when the connection does.
      return "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n" +
             Frame(1, "hello\n") + Frame(2, "oops\n");
    }
    if (request.target == "/v1.41/exec/e1/json") {
      return Answer(200, R"({"ID":"e1","Running":false,"ExitCode":7})");
    }
    return Answer(404, "");
  });
  auto result = runtime_->Exec("c1", {.cmd = {"sh", "-c", "exit 7"}});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_EQ(result->output, "hello\noops\n");
}

TEST_F(CannedEngineTest, ExecTimesOut) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/containers/c1/exec") return Answer(201, R"({"Id":"e1"})");
    if (request.target == "/v1.41/exec/e1/start") {
      std::this_thread::sleep_for(1500ms);
      return Answer(200, "");
    }
    return Answer(404, "");
  });
  auto result = runtime_->Exec("c1", {.cmd = {"sleep", "100"}, .timeout = 1s});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kTimeout);
  EXPECT_THAT(result.error().message, HasSubstr("did not finish within 1 s"));
}

// Reads a blocking socket until EOF.
std::string ReadToEnd(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

TEST_F(CannedEngineTest, StartExecStreamHandsOverTheHijackedStream) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/containers/c1/exec") {
      Json body = Json::parse(request.body);
      EXPECT_EQ(body["AttachStdin"], true);
      EXPECT_EQ(body["Tty"], false);
      return Answer(201, R"({"Id":"e1"})");
    }
    if (request.target == "/v1.41/exec/e1/start") {
      // Podman's answer to an upgrade, with the first output in the same write.
      return "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
             "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" +
             Frame(1, "hello\n") + Frame(2, "done\n");
    }
    return Answer(404, "");
  });
  auto stream = runtime_->StartExecStream("c1", {.cmd = {"sh", "-c", "cat; echo done >&2"}});
  ASSERT_TRUE(stream) << stream.error().message;
  EXPECT_EQ(stream->exec_id, "e1");
  EXPECT_TRUE(stream->multiplexed);
  ASSERT_TRUE(stream->socket.valid());
  EXPECT_EQ(ReadToEnd(stream->socket.get()), Frame(1, "hello\n") + Frame(2, "done\n"));
  EXPECT_EQ(Json::parse(engine_->requests()[1].body),
            Json::parse(R"({"Detach":false,"Tty":false})"));
}

TEST_F(CannedEngineTest, StartExecStreamWithATerminal) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/containers/c1/exec") return Answer(201, R"({"Id":"e2"})");
    if (request.target == "/v1.41/exec/e2/start") {
      return std::string(
          "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream"
          "\r\n\r\n40 120\r\n");
    }
    return Answer(404, "");
  });
  auto stream = runtime_->StartExecStream(
      "c1", {.cmd = {"stty", "size"}, .tty = true, .rows = 40, .cols = 120});
  ASSERT_TRUE(stream) << stream.error().message;
  EXPECT_FALSE(stream->multiplexed);
  EXPECT_EQ(ReadToEnd(stream->socket.get()), "40 120\r\n");
  Json start = Json::parse(engine_->requests()[1].body);
  EXPECT_EQ(start["h"], 40);
  EXPECT_EQ(start["w"], 120);
}

TEST_F(CannedEngineTest, StartExecStreamRefusals) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/containers/gone/exec") {
      return Answer(
          404,
          R"({"cause":"no such container","message":"no container with name or ID \"gone\" found: no such container","response":404})");
    }
    if (request.target == "/v1.41/containers/stopped/exec") {
      return Answer(
          500,
          R"({"cause":"container state improper","message":"can only create exec sessions on running containers: container state improper","response":500})");
    }
    if (request.target == "/v1.41/containers/c1/exec") return Answer(201, R"({"Id":"e3"})");
    if (request.target == "/v1.41/exec/e3/start") {
      return Answer(
          500,
          R"({"cause":"container state improper","message":"container c1 is not running: container state improper","response":500})");
    }
    return Answer(404, "");
  });
  auto gone = runtime_->StartExecStream("gone", {.cmd = {"true"}});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  auto stopped = runtime_->StartExecStream("stopped", {.cmd = {"true"}});
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(stopped.error().message, HasSubstr("running containers"));
  auto late = runtime_->StartExecStream("c1", {.cmd = {"true"}});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(runtime_->StartExecStream("c1", {}));
}

TEST_F(CannedEngineTest, ResizeAndInspectExec) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/exec/e1/resize?h=50&w=132") return Answer(201, "");
    if (request.target == "/v1.41/exec/e1/json") {
      return Answer(200, R"({"CanRemove":false,"ContainerID":"c1","ExitCode":null,"ID":"e1",
          "OpenStderr":true,"OpenStdin":true,"OpenStdout":true,"Running":true,"Pid":29475})");
    }
    if (request.target == "/v1.41/exec/e2/json") {
      return Answer(200, R"({"ExitCode":143,"ID":"e2","Running":false,"Pid":0})");
    }
    if (request.target == "/v1.41/exec/gone/resize?h=50&w=132") {
      return Answer(404, R"({"message":"no such exec session gone: no such exec session"})");
    }
    return Answer(404, "");
  });
  Status resized = runtime_->ResizeExec("e1", 50, 132);
  EXPECT_TRUE(resized) << resized.error().message;
  EXPECT_EQ(runtime_->ResizeExec("gone", 50, 132).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runtime_->ResizeExec("e1", 0, 80).error().code, ErrorCode::kInvalidArgument);

  auto running = runtime_->InspectExec("e1");
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_TRUE(running->running);
  EXPECT_EQ(running->pid, 29475);
  EXPECT_EQ(running->exit_code, -1);
  auto done = runtime_->InspectExec("e2");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_FALSE(done->running);
  EXPECT_EQ(done->exit_code, 143);
  EXPECT_EQ(done->pid, 0);
  EXPECT_EQ(runtime_->InspectExec("e9").error().code, ErrorCode::kNotFound);
}

TEST_F(CannedEngineTest, BuildStreamsLinesAndReportsAFailedDockerfile) {
  std::string body;
  Serve([&](const CannedRequest& request) {
    if (request.target == "/v1.41/version") return Answer(200, kPodmanVersion);
    // A systemd-managed engine: no cgroup of the build's own (build_cgroup.h).
    if (request.target == "/v1.41/info") return Answer(200, R"({"CgroupDriver":"systemd"})");
    body = request.body;
    return Chunked(
        {R"({"stream":"STEP 1/2: FROM debian\n"})"
         "\n"
         R"({"stream":"STEP 2/2: RUN exit 3\n"})",
         "\n"
         R"({"stream":"about to fail\n"})"
         "\n",
         R"({"errorDetail":{"message":"building at STEP \"RUN exit 3\": exit status 3\n"},"error":"building at STEP \"RUN exit 3\": exit status 3\n"})"
         "\n"});
  });
  // Large enough to need many writes.
  std::string context(20 * 1024 * 1024, 't');
  std::vector<std::string> lines;
  auto outcome = runtime_->BuildImage({.tag = "localhost/t:1", .context_tar = context},
                                      [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(outcome->ok);
  EXPECT_EQ(outcome->error, R"(building at STEP "RUN exit 3": exit status 3)");
  EXPECT_THAT(lines, ElementsAre("STEP 1/2: FROM debian", "STEP 2/2: RUN exit 3", "about to fail",
                                 R"(building at STEP "RUN exit 3": exit status 3)"));
  EXPECT_EQ(outcome->log,
            "STEP 1/2: FROM debian\nSTEP 2/2: RUN exit 3\nabout to fail\n"
            "building at STEP \"RUN exit 3\": exit status 3\n");
  EXPECT_EQ(body.size(), context.size());
  auto target = engine_->requests().back().target;
  EXPECT_THAT(target, HasSubstr("/v1.41/build?t=localhost%2Ft%3A1"));
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(http::ParseTarget(target, path, query));
  // Podman: a list, in a stable order.
  EXPECT_EQ(Json::parse(query["labels"]),
            Json::parse(R"(["io.stackyard.installation=inst-1","io.stackyard.managed=true"])"));
  EXPECT_FALSE(query.contains("cgroupparent"));
}

TEST_F(CannedEngineTest, SuccessfulBuildNamesTheImage) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/version") return Answer(200, kPodmanVersion);
    if (request.target == "/v1.41/info") return Answer(200, R"({"CgroupDriver":"cgroupfs"})");
    return Chunked({R"({"stream":"COMMIT localhost/t:1\n"})"
                    "\n"
                    R"({"aux":{"ID":"sha256:28ac"}})"
                    "\n"
                    R"({"stream":"Successfully tagged localhost/t:1\n"})"
                    "\n"});
  });
  auto outcome = runtime_->BuildImage({.tag = "localhost/t:1", .context_tar = "x"}, nullptr);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->ok);
  EXPECT_EQ(outcome->image_id, "sha256:28ac");
  EXPECT_EQ(outcome->error, "");
  // A local Podman with cgroupfs: the build runs in a cgroup of its own, when this process
  // can stop what runs there.
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(http::ParseTarget(engine_->requests().back().target, path, query));
  if (::geteuid() == 0) {
    EXPECT_THAT(query["cgroupparent"], ::testing::StartsWith("/stackyard-build-inst-1-"));
  } else {
    EXPECT_FALSE(query.contains("cgroupparent"));
  }
}

TEST_F(CannedEngineTest, BuildOutOfMemoryNamesTheLimit) {
  Serve([](const CannedRequest& request) {
    if (request.target == "/v1.41/version") return Answer(200, kPodmanVersion);
    if (request.target == "/v1.41/info") return Answer(200, R"({"CgroupDriver":"systemd"})");
    return Chunked(
        {R"({"stream":"Killed\n"})"
         "\n"
         R"({"errorDetail":{"message":"building at STEP \"RUN big\": while running runtime: exit status 137\n"},"error":"building at STEP \"RUN big\": while running runtime: exit status 137\n"})"
         "\n"});
  });
  std::vector<std::string> lines;
  auto outcome =
      runtime_->BuildImage({.tag = "localhost/t:1", .context_tar = "x", .memory_bytes = 128 << 20},
                           [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(outcome->ok);
  EXPECT_THAT(outcome->error, HasSubstr("exit status 137 ("));
  EXPECT_THAT(outcome->error, HasSubstr("memory limit of 128 MiB"));
  EXPECT_THAT(outcome->log, HasSubstr("Killed\n"));
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("memory limit of 128 MiB"));
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(http::ParseTarget(engine_->requests().back().target, path, query));
  EXPECT_EQ(query["memory"], std::to_string(128 << 20));
  EXPECT_EQ(query["memswap"], std::to_string(128 << 20));
}

TEST_F(CannedEngineTest, CancelledBuildEndsWithoutWaitingForTheEngine) {
  std::atomic<bool> cancel = false;
  Serve([&](const CannedRequest& request) {
    if (request.target == "/v1.41/version") return Answer(200, kPodmanVersion);
    if (request.target == "/v1.41/info") return Answer(200, R"({"CgroupDriver":"systemd"})");
    // A build that goes on: the answer comes only well after the client has gone.
    while (!cancel) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(1s);
    return Answer(500, R"({"message":"too late"})");
  });
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  auto outcome = runtime_->BuildImage(
      {.tag = "localhost/t:1", .context_tar = "x", .cancel = &cancel}, nullptr);
  canceller.join();
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(outcome.error().message, "build image localhost/t:1: cancelled");
}

TEST_F(CannedEngineTest, PullWithoutRegistryIsUnavailable) {
  Serve([](const CannedRequest& request) {
    EXPECT_EQ(request.target,
              "/v1.41/images/create?fromImage=docker.io%2Flibrary%2Falpine%3Alatest");
    return Chunked(
        {R"({"progressDetail":{},"errorDetail":{"message":"initializing source docker://alpine:latest: pinging container registry registry-1.docker.io: dial tcp: lookup registry-1.docker.io: no such host"},"error":"initializing source docker://alpine:latest: pinging container registry registry-1.docker.io: dial tcp: lookup registry-1.docker.io: no such host"})"
         "\n"});
  });
  auto pulled = runtime_->PullImage("docker.io/library/alpine", nullptr);
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(pulled.error().message, HasSubstr("pinging container registry"));
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
