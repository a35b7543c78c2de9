#pragma once

// The server's own container engine: `podman system service` on a socket in the data dir,
// started, watched and restarted by the server.

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/supervised_process.h"
#include "http/client.h"
#include "runtime/runtime.h"

namespace yard::runtime {

/// What EngineProcess writes to DATA_DIR/engine/containers.conf (CONTAINERS_CONF): runc, not
/// crun; cgroupfs; ulimits low enough that an unprivileged host lets containers raise them.
inline constexpr std::string_view kEngineContainersConf =
    "[containers]\n"
    "default_ulimits = [\"nofile=8192:8192\", \"nproc=4096:4096\"]\n"
    "[engine]\n"
    "runtime = \"runc\"\n"
    "cgroup_manager = \"cgroupfs\"\n";

struct EngineOptions {
  /// The server's data dir; the engine's files go to DATA_DIR/engine.
  std::string data_dir;
  /// The podman program (looked up in PATH).
  std::string podman = "podman";
  /// The iptables program, for the isolation guard (see EngineProcess).
  std::string iptables = "iptables";
  /// Where procfs is mounted (net.ipv4.conf.all.arp_notify is set there; see EngineProcess).
  std::string proc_dir = "/proc";
  /// How long Start waits for the engine to answer.
  std::chrono::milliseconds start_timeout = std::chrono::seconds(20);
  /// Delays between restarts of an engine that keeps exiting: doubling from min to max, back
  /// to min once it has run for `healthy_after`.
  std::chrono::milliseconds min_backoff = std::chrono::seconds(1);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(30);
  std::chrono::milliseconds healthy_after = std::chrono::seconds(60);
};

/// Runs and supervises `podman system service --time=0 unix://DATA_DIR/engine/podman.sock`
/// with CONTAINERS_CONF=DATA_DIR/engine/containers.conf; its output is appended to
/// DATA_DIR/engine/podman.log. A supervision thread restarts the service with backoff when it
/// exits. Containers outlive the service (conmon owns them): a server that stops and starts
/// again adopts them. Thread-safe.
///
/// It also guards network isolation. netavark 1.4 isolates networks through a jump from
/// iptables' FORWARD chain to NETAVARK_ISOLATION_1, one jump shared by all networks, and
/// deletes it whenever any isolated network is torn down (its last container stops): from then
/// on no network is isolated until another one is set up. EngineProcess adds a jump of its own
/// (with a comment, so that netavark's teardown does not match it) at the top of FORWARD when
/// it starts, and checks every 5 s that it is still there and still above netavark's jump to
/// NETAVARK_FORWARD, which accepts all container traffic (runtime/isolation_guard.h).
///
/// And it sets net.ipv4.conf.all.arp_notify, so that a network bridge announces a change of
/// its MAC address (which a container joining or leaving can cause) and containers do not
/// keep sending to the old one for up to 30 s.
class EngineProcess {
 public:
  explicit EngineProcess(EngineOptions options);
  /// Stops the service if it runs.
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  /// Writes containers.conf, ends a service a previous server left running for this data
  /// dir, starts the service and waits until GET /_ping answers, then starts supervising.
  /// Errors: kNotFound when podman is missing; kInvalidArgument when the socket path is too
  /// long for a unix socket; kTimeout when it does not answer within start_timeout (the
  /// message holds the end of its log); kFailedPrecondition when already started or when the
  /// isolation guard cannot be set up (no iptables, not root).
  Status Start();

  /// Stops supervising and ends the service (SIGTERM, SIGKILL after a grace period).
  /// Containers keep running. Idempotent.
  void Stop();

  /// unix://DATA_DIR/engine/podman.sock, for DockerRuntime.
  http::Endpoint endpoint() const;
  std::string socket_path() const { return socket_path_; }
  std::string log_path() const { return log_path_; }
  /// The running service's pid, or -1.
  pid_t pid();
  /// How many times the supervisor has restarted the service.
  int restarts();

 private:
  Status GuardIsolation();
  void AnnounceBridgeAddressChanges();
  void KeepGuarding(std::stop_token stop);

  EngineOptions options_;
  std::string dir_;
  std::string socket_path_;
  std::string conf_path_;
  std::string log_path_;

  SupervisedProcess process_;
  std::jthread guard_;  // re-checks the isolation guard from Start to Stop
};

/// Whether an engine answers at `endpoint` (as for `--engine unix:///var/run/docker.sock`):
/// its name and version, or kUnavailable / kTimeout.
Result<EngineInfo> ProbeEngine(const http::Endpoint& endpoint);

/// Ends the podman service a server on `data_dir` left running (killed before it could stop
/// it), found by DATA_DIR/engine/podman.pid and only if that process serves our socket.
/// Waits for it to exit (SIGTERM, then SIGKILL). No-op when there is none.
void EndLeftoverEngine(const std::string& data_dir);

}  // namespace yard::runtime
