#pragma once

// DockerRuntime against a real `podman system service`, started with EngineProcess in a
// temporary data dir. Needs podman, runc, netavark, aardvark-dns, iptables, catatonit and the
// base image docker.io/library/debian:bookworm-slim (scripts/setup installs and seeds them).
// Everything a test creates is removed again, also when it fails; objects of other tools on
// the same engine are never touched.
//
// The fixture shared by docker_runtime_test.cc (images and networks) and
// docker_containers_test.cc (containers and the engine process); each is its own test binary.

#include "runtime/docker_runtime.h"

#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/process.h"
#include "http/client.h"
#include "runtime/engine_process.h"
#include "testing/temp_dir.h"

namespace yard::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kBaseImage = "docker.io/library/debian:bookworm-slim";

// A minimal HTTP server in Perl (perl-base is in Debian's minbase) on port 8000.
constexpr const char* kServerScript =
    "$|=1; my $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 16, ReuseAddr => 1)"
    " or die qq(listen: $!); print qq(listening\\n);"
    " while (my $c = $s->accept) { while (my $l = <$c>) { last if $l =~ /^\\r?$/ }"
    " print $c qq(HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello from web\\n);"
    " close $c }";

inline std::string RandomSuffix() {
  std::random_device device;
  std::mt19937_64 generator(device());
  return fmt::format("{:08x}", static_cast<uint32_t>(generator()));
}

// Polls `condition` until it holds or `limit` passes (a bound against hangs, not a timing
// assertion).
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

// A tar of the files {name, content}, made with tar(1).
inline std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& files) {
  testing::TempDir dir;
  for (const auto& [name, content] : files) {
    std::filesystem::create_directories(std::filesystem::path(dir.File(name)).parent_path());
    std::ofstream(dir.File(name)) << content;
  }
  auto result = RunChecked({.argv = {"tar", "-cf", "-", "-C", dir.path(), "."}});
  if (!result) ADD_FAILURE() << result.error().message;
  return result ? result->stdout_data : "";
}

// The engine shared by the tests of this file.
struct Engine {
  testing::TempDir dir;
  std::unique_ptr<EngineProcess> process;
  std::unique_ptr<DockerRuntime> runtime;
  std::string run_id = RandomSuffix();
  std::string installation = "test-" + run_id;
};
Engine* engine = nullptr;

// Removes what it was told about when it goes out of scope, whatever happened in between.
class Cleanup {
 public:
  explicit Cleanup(Runtime& runtime) : runtime_(runtime) {}
  ~Cleanup() {
    for (auto it = containers_.rbegin(); it != containers_.rend(); ++it) {
      (void)runtime_.RemoveContainer(*it);
    }
    for (auto it = networks_.rbegin(); it != networks_.rend(); ++it) {
      (void)runtime_.RemoveNetwork(*it);
    }
    for (auto it = images_.rbegin(); it != images_.rend(); ++it) (void)runtime_.RemoveImage(*it);
    for (const auto& action : actions_) action();
  }
  void Container(const std::string& id) { containers_.push_back(id); }
  void Network(const std::string& name) { networks_.push_back(name); }
  void Image(const std::string& ref) { images_.push_back(ref); }
  void Do(std::function<void()> action) { actions_.push_back(std::move(action)); }

 private:
  Runtime& runtime_;
  std::vector<std::string> containers_;
  std::vector<std::string> networks_;
  std::vector<std::string> images_;
  std::vector<std::function<void()>> actions_;
};

// Runs the podman client against our engine, as another tool on the same engine would.
inline Result<ProcessResult> Podman(std::vector<std::string> args) {
  args.insert(args.begin(), {"podman", "--url", engine->process->endpoint().ToString()});
  return RunProcess({.argv = std::move(args), .timeout = 120s});
}

class DockerRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine = new Engine;
    engine->process =
        std::make_unique<EngineProcess>(EngineOptions{.data_dir = engine->dir.path()});
    Status started = engine->process->Start();
    ASSERT_TRUE(started) << started.error().message;
    engine->runtime =
        std::make_unique<DockerRuntime>(engine->process->endpoint(), engine->installation);
  }

  static void TearDownTestSuite() {
    if (engine->runtime) {
      // The safety net: whatever this installation still has, found by its labels.
      if (auto containers = engine->runtime->ListContainers({})) {
        for (const auto& container : *containers) {
          ADD_FAILURE() << "left behind: container " << container.name;
          (void)engine->runtime->RemoveContainer(container.id);
        }
      }
      if (auto networks = engine->runtime->ListNetworks({})) {
        for (const auto& network : *networks) {
          ADD_FAILURE() << "left behind: network " << network.name;
          (void)engine->runtime->RemoveNetwork(network.name);
        }
      }
      if (auto images = engine->runtime->ListImages({})) {
        for (const auto& image : *images) {
          ADD_FAILURE() << "left behind: image " << image.id;
          (void)engine->runtime->RemoveImage(image.id);
        }
      }
    }
    engine->process->Stop();
    delete engine;
    engine = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(engine, nullptr);
    ASSERT_NE(engine->runtime, nullptr) << "the engine did not start";
    auto base = runtime().InspectImage(kBaseImage);
    ASSERT_TRUE(base) << base.error().message;
    ASSERT_TRUE(base->has_value()) << kBaseImage << " is missing: run scripts/seed-base-image";
  }

  DockerRuntime& runtime() { return *engine->runtime; }
  std::string Name(const std::string& what) { return "yardtest-" + engine->run_id + "-" + what; }

  // Creates and starts a container of the base image; registers it with `cleanup`.
  std::string Run(Cleanup& cleanup, ContainerSpec spec) {
    if (spec.image.empty()) spec.image = kBaseImage;
    auto id = runtime().CreateContainer(spec);
    EXPECT_TRUE(id) << id.error().message;
    if (!id) return "";
    cleanup.Container(*id);
    Status started = runtime().StartContainer(*id);
    EXPECT_TRUE(started) << started.error().message;
    return *id;
  }

  ExecResult Exec(const std::string& id, std::vector<std::string> cmd) {
    auto result = runtime().Exec(id, {.cmd = std::move(cmd)});
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : ExecResult{};
  }

  ContainerState StateOf(const std::string& id) {
    auto info = runtime().InspectContainer(id);
    if (!info || !info->has_value()) return ContainerState::kUnknown;
    return (*info)->state;
  }
};


}  // namespace
}  // namespace yard::runtime
