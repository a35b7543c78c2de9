#include "runtime/engine_process.h"

#include <fmt/core.h>

#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "runtime/docker_runtime.h"

namespace yard::runtime {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPingTimeout{1000};
constexpr auto kGuardInterval = std::chrono::seconds(30);
constexpr const char* kIsolationChain = "NETAVARK_ISOLATION_1";
constexpr const char* kGuardComment = "stackyard: keep netavark network isolation";

bool Answers(const std::string& socket_path) {
  http::Client client(http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path});
  http::ClientRequest request;
  request.target = "/_ping";
  auto response = client.Send(request, kPingTimeout);
  return response && response->status == 200;
}

std::string EngineDir(const std::string& data_dir) {
  return fs::Join(fs::Absolute(data_dir), "engine");
}

SupervisedProcessOptions ServiceOptions(const EngineOptions& options) {
  std::string dir = EngineDir(options.data_dir);
  std::string socket_path = fs::Join(dir, "podman.sock");
  return {
      .name = "podman system service",
      .log_prefix = "engine",
      .process = {.argv = {options.podman, "system", "service", "--time=0",
                           "unix://" + socket_path},
                  .env = {{"CONTAINERS_CONF", fs::Join(dir, "containers.conf")}}},
      .log_path = fs::Join(dir, "podman.log"),
      .pid_path = fs::Join(dir, "podman.pid"),
      .socket_path = socket_path,
      .answers = [socket_path] { return Answers(socket_path); },
      .start_timeout = options.start_timeout,
      .min_backoff = options.min_backoff,
      .max_backoff = options.max_backoff,
      .healthy_after = options.healthy_after,
  };
}

}  // namespace

EngineProcess::EngineProcess(EngineOptions options)
    : options_(std::move(options)),
      dir_(EngineDir(options_.data_dir)),
      socket_path_(fs::Join(dir_, "podman.sock")),
      conf_path_(fs::Join(dir_, "containers.conf")),
      log_path_(fs::Join(dir_, "podman.log")),
      process_(ServiceOptions(options_)) {}

EngineProcess::~EngineProcess() { Stop(); }

http::Endpoint EngineProcess::endpoint() const {
  return http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path_};
}

pid_t EngineProcess::pid() { return process_.pid(); }

int EngineProcess::restarts() { return process_.restarts(); }

Status EngineProcess::Start() {
  if (process_.started()) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the engine is already started");
  }
  TRY(CheckUnixSocketPath(socket_path_, "the engine socket"));
  TRY_CTX(fs::CreateDirectories(dir_, 0700), "create the engine directory");
  TRY_CTX(fs::AtomicWriteFile(conf_path_, kEngineContainersConf), "write containers.conf");
  EndLeftoverEngine(options_.data_dir);
  TRY(process_.Start());
  if (Status guarded = GuardIsolation(); !guarded) {
    process_.Stop();
    return guarded;
  }
  guard_ = std::jthread([this](std::stop_token stop) { KeepGuarding(std::move(stop)); });
  return Ok();
}

void EngineProcess::Stop() {
  if (guard_.joinable()) {
    guard_.request_stop();
    guard_.join();
  }
  process_.Stop();
}

Status EngineProcess::GuardIsolation() {
  auto iptables = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {options_.iptables, "-w", "5"});
    return RunProcess({.argv = std::move(args), .timeout = std::chrono::seconds(30)});
  };
  std::vector<std::string> rule = {"FORWARD",     "-m", "comment",      "--comment",
                                   kGuardComment, "-j", kIsolationChain};
  auto check = [&] {
    std::vector<std::string> args = {"-C"};
    args.insert(args.end(), rule.begin(), rule.end());
    return iptables(std::move(args));
  };
  auto checked = check();
  if (checked && checked->Succeeded()) return Ok();
  // The chain exists once netavark has set up an isolated network; create it if not yet.
  (void)iptables({"-N", kIsolationChain});
  std::vector<std::string> insert = {"-I", "FORWARD", "1"};
  insert.insert(insert.end(), rule.begin() + 1, rule.end());
  auto inserted = iptables(std::move(insert));
  if (!inserted || !inserted->Succeeded()) {
    std::string why =
        inserted ? inserted->Describe() + ": " + inserted->stderr_data : inserted.error().message;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("cannot guard network isolation with {} (root and iptables "
                                  "are needed): {}",
                                  options_.iptables, why));
  }
  log::Debug("engine: added the network isolation guard to iptables' FORWARD chain");
  return Ok();
}

// Checked again and again rather than once: anything that flushes the FORWARD chain (a firewall
// reload) takes the guard with it, and networks would stay unisolated until the next start.
void EngineProcess::KeepGuarding(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  auto never = [] { return false; };
  while (true) {
    wake.wait_for(lock, stop, kGuardInterval, never);
    if (stop.stop_requested()) return;
    if (Status guarded = GuardIsolation(); !guarded) {
      log::Error("engine: {}", guarded.error().message);
    }
  }
}

void EndLeftoverEngine(const std::string& data_dir) {
  std::string dir = EngineDir(data_dir);
  // Only a podman service on our socket: the pid may have been reused since.
  EndRecordedProcess(fs::Join(dir, "podman.pid"),
                     {"service", "unix://" + fs::Join(dir, "podman.sock")});
}

Result<EngineInfo> ProbeEngine(const http::Endpoint& endpoint) {
  DockerRuntime runtime(endpoint, "");
  return runtime.Ping();
}

}  // namespace yard::runtime
