#include "runtime/engine_process.h"

#include <fmt/core.h>
#include <signal.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "runtime/docker_runtime.h"

namespace yard::runtime {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kPingTimeout{1000};
constexpr milliseconds kStartPoll{100};
constexpr milliseconds kSuperviseTick{500};
constexpr milliseconds kStopGrace{10000};
constexpr size_t kLogTailBytes = 1500;
constexpr auto kGuardInterval = std::chrono::seconds(30);
constexpr const char* kIsolationChain = "NETAVARK_ISOLATION_1";
constexpr const char* kGuardComment = "stackyard: keep netavark network isolation";

std::string LogTail(const std::string& path) {
  auto text = fs::ReadFile(path);
  if (!text) return "";
  std::string_view tail = *text;
  if (tail.size() > kLogTailBytes) tail.remove_prefix(tail.size() - kLogTailBytes);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.remove_suffix(1);
  return std::string(tail);
}

bool Answers(const std::string& socket_path) {
  http::Client client(http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path});
  http::ClientRequest request;
  request.target = "/_ping";
  auto response = client.Send(request, kPingTimeout);
  return response && response->status == 200;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

EngineProcess::EngineProcess(EngineOptions options) : options_(std::move(options)) {
  dir_ = fs::Join(fs::Absolute(options_.data_dir), "engine");
  socket_path_ = fs::Join(dir_, "podman.sock");
  conf_path_ = fs::Join(dir_, "containers.conf");
  log_path_ = fs::Join(dir_, "podman.log");
  pid_path_ = fs::Join(dir_, "podman.pid");
}

EngineProcess::~EngineProcess() { Stop(); }

http::Endpoint EngineProcess::endpoint() const {
  return http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path_};
}

pid_t EngineProcess::pid() {
  std::lock_guard lock(mutex_);
  return process_ && process_->Running() ? process_->pid() : -1;
}

int EngineProcess::restarts() {
  std::lock_guard lock(mutex_);
  return restarts_;
}

Status EngineProcess::Start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) {
      return Unexpected(ErrorCode::kFailedPrecondition, "the engine is already started");
    }
    if (socket_path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("the engine socket path {} is longer than a unix socket "
                                    "allows ({} bytes); use a shorter data dir",
                                    socket_path_, sizeof(sockaddr_un{}.sun_path) - 1));
    }
    TRY_CTX(fs::CreateDirectories(dir_, 0700), "create the engine directory");
    TRY_CTX(fs::AtomicWriteFile(conf_path_, kEngineContainersConf), "write containers.conf");
    EndLeftover();
    TRY_CTX(fs::RemoveFile(socket_path_), "remove the old engine socket");
    TRY(Spawn());
  }
  if (Status ready = WaitUntilAnswering(options_.start_timeout); !ready) {
    std::lock_guard lock(mutex_);
    if (process_) process_->Terminate(kStopGrace);
    process_.reset();
    return ready;
  }
  if (Status guarded = GuardIsolation(); !guarded) {
    std::lock_guard lock(mutex_);
    if (process_) process_->Terminate(kStopGrace);
    process_.reset();
    return guarded;
  }
  std::lock_guard lock(mutex_);
  started_ = true;
  restarts_ = 0;
  supervisor_ = std::jthread([this](std::stop_token stop) { Supervise(std::move(stop)); });
  return Ok();
}

void EngineProcess::Stop() {
  if (supervisor_.joinable()) {
    supervisor_.request_stop();
    supervisor_.join();
  }
  std::lock_guard lock(mutex_);
  if (process_) {
    ProcessResult result = process_->Terminate(kStopGrace);
    log::Debug("engine: podman system service stopped ({})", result.Describe());
    process_.reset();
    (void)fs::RemoveFile(pid_path_);
  }
  started_ = false;
}

Status EngineProcess::Spawn() {
  Subprocess::Spawn spawn;
  spawn.options.argv = {options_.podman, "system", "service", "--time=0", "unix://" + socket_path_};
  spawn.options.env["CONTAINERS_CONF"] = conf_path_;
  spawn.stdout_path = log_path_;
  spawn.stderr_path = log_path_;
  auto process = Subprocess::Start(spawn);
  if (!process) {
    return Unexpected(process.error().WithContext("start podman system service"));
  }
  process_.emplace(std::move(*process));
  started_at_ = SteadyClock::now();
  // A server killed without stopping the engine leaves it running; the next one ends it.
  if (Status written = fs::AtomicWriteFile(pid_path_, std::to_string(process_->pid()) + "\n");
      !written) {
    log::Warn("engine: cannot record the service's pid: {}", written.error().message);
  }
  log::Debug("engine: podman system service started, pid {}", process_->pid());
  return Ok();
}

Status EngineProcess::WaitUntilAnswering(milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (Answers(socket_path_)) return Ok();
    {
      std::lock_guard lock(mutex_);
      if (!process_ || !process_->Running()) {
        std::string how = process_ ? process_->Wait(milliseconds(0))->Describe() : "not running";
        std::string tail = LogTail(log_path_);
        return Unexpected(ErrorCode::kUnavailable, fmt::format("podman system service {}{}{}", how,
                                                               tail.empty() ? "" : ":\n", tail));
      }
    }
    if (SteadyClock::now() >= deadline) {
      std::string tail = LogTail(log_path_);
      return Unexpected(
          ErrorCode::kTimeout,
          fmt::format("podman system service did not answer on {} within {} ms{}{}", socket_path_,
                      timeout.count(), tail.empty() ? "" : ":\n", tail));
    }
    std::this_thread::sleep_for(kStartPoll);
  }
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

void EngineProcess::Supervise(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  milliseconds backoff = options_.min_backoff;
  auto never = [] { return false; };
  auto guarded_at = SteadyClock::now();
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, kSuperviseTick, never);
    if (stop.stop_requested()) break;
    if (SteadyClock::now() - guarded_at >= kGuardInterval) {
      guarded_at = SteadyClock::now();
      if (Status guarded = GuardIsolation(); !guarded)
        log::Error("engine: {}", guarded.error().message);
    }
    if (process_ && process_->Running()) continue;

    std::string how = "failed to start";
    if (process_) {
      auto result = process_->Wait(milliseconds(0));
      how = result ? result->Describe() : "ended";
      if (SteadyClock::now() - started_at_ >= options_.healthy_after) {
        backoff = options_.min_backoff;
      }
    }
    log::Warn("engine: podman system service {}; restarting in {} ms (log: {})", how,
              backoff.count(), log_path_);
    wake_.wait_for(lock, stop, backoff, never);
    if (stop.stop_requested()) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
    process_.reset();
    (void)fs::RemoveFile(socket_path_);
    if (Status spawned = Spawn(); !spawned) {
      log::Error("engine: {}", spawned.error().message);
      continue;
    }
    ++restarts_;
  }
}

void EngineProcess::EndLeftover() { EndLeftoverEngine(options_.data_dir); }

void EndLeftoverEngine(const std::string& data_dir) {
  std::string dir = fs::Join(fs::Absolute(data_dir), "engine");
  std::string socket_path = fs::Join(dir, "podman.sock");
  auto text = fs::ReadFile(fs::Join(dir, "podman.pid"));
  if (!text) return;
  pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
  if (pid <= 1) return;
  // Only a podman service on our socket: the pid may have been reused since.
  auto cmdline = fs::ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline || cmdline->find("service") == std::string::npos ||
      cmdline->find(socket_path) == std::string::npos) {
    return;
  }
  log::Info("engine: ending the podman service (pid {}) a previous server left running", pid);
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);
  const auto deadline = SteadyClock::now() + kStopGrace;
  while (Alive(pid) && SteadyClock::now() < deadline) std::this_thread::sleep_for(kStartPoll);
  if (Alive(pid)) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
}

Result<EngineInfo> ProbeEngine(const http::Endpoint& endpoint) {
  DockerRuntime runtime(endpoint, "");
  return runtime.Ping();
}

}  // namespace yard::runtime
