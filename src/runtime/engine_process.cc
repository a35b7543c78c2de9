#include "runtime/engine_process.h"

#include <fmt/core.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "runtime/docker_runtime.h"
#include "runtime/iptables.h"
#include "runtime/isolation_guard.h"

namespace yard::runtime {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPingTimeout{1000};
constexpr auto kGuardInterval = std::chrono::seconds(5);

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
  AnnounceBridgeAddressChanges();
  return Ok();
}

// A Linux bridge without an address of its own takes the lowest MAC address of its ports, so
// a container joining or leaving a deployment's network (a rollout, a rollback) can change
// the MAC of the containers' gateway. Containers keep the old one in their ARP cache for up
// to about 30 s, and meanwhile every packet they send to the host (the edge's connections
// included) is lost: a request being answered at that moment hangs. With arp_notify the
// kernel announces a bridge's new MAC with a gratuitous ARP, which updates the containers'
// caches at once. `all` counts for every interface, bridges made later included.
void EngineProcess::AnnounceBridgeAddressChanges() {
  const std::string path = options_.proc_dir + "/sys/net/ipv4/conf/all/arp_notify";
  auto current = fs::ReadFile(path);
  if (current && current->starts_with("1")) return;
  // Written in place: a sysctl file cannot be replaced by a rename.
  std::ofstream out(path);
  out << "1\n";
  out.close();
  if (!out) {
    log::Warn("engine: cannot set {} to 1 (root is needed): containers may lose their "
              "connections to the host for up to 30 s when a network's bridge changes its MAC "
              "address",
              path);
    return;
  }
  log::Info("engine: set {} to 1, so that containers learn at once when a network bridge's MAC "
            "address changes", path);
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
    return RunIptables(options_.iptables, std::move(args));
  };
  auto rule_args = [](std::string_view comment, std::string_view chain) {
    return std::vector<std::string>{"-m", "comment", "--comment", std::string(comment), "-j",
                                    std::string(chain)};
  };
  auto failed = [&](const Result<ProcessResult>& run) -> Status {
    std::string why = run ? run->Describe() + ": " + run->stderr_data : run.error().message;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("cannot guard network isolation with {} (root and iptables "
                                  "are needed): {}",
                                  options_.iptables, why));
  };
  auto change = [&](std::vector<std::string> action, std::vector<std::string> rule) -> Status {
    action.insert(action.end(), rule.begin(), rule.end());
    auto done = iptables(std::move(action));
    return done && done->Succeeded() ? Ok() : failed(done);
  };
  auto listed = iptables({"-S", "FORWARD"});
  if (!listed || !listed->Succeeded()) return failed(listed);
  GuardPlace place = FindIsolationGuard(listed->stdout_data);
  if (place.guarded) return Ok();
  std::vector<std::string> guard = rule_args(kIsolationGuardComment, kIsolationChain);
  if (place.misplaced) {
    // Behind netavark's accept-all jump, where no packet reaches it: moved to the top.
    TRY(change({"-D", "FORWARD"}, guard));
    log::Warn("engine: the network isolation guard was behind netavark's rules in iptables' "
              "FORWARD chain; moved it to the top");
  } else if (!place.netavark_forward) {
    // Before the first network is set up: netavark would put its jump above the guard. It
    // does not add one that is there already, so it is added now, below where the guard goes.
    (void)iptables({"-N", std::string(kNetavarkForwardChain)});
    TRY(change({"-I", "FORWARD", "1"}, rule_args(kNetavarkForwardComment, kNetavarkForwardChain)));
  }
  // The chain exists once netavark has set up an isolated network; create it if not yet.
  (void)iptables({"-N", std::string(kIsolationChain)});
  TRY(change({"-I", "FORWARD", "1"}, guard));
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
