// DockerRuntime without a real engine (canned_engine_test_fixture.h): the streams —
// execs (plain and hijacked, with a terminal), builds and pulls.
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

}  // namespace
}  // namespace yard::runtime
