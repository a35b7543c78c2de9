#pragma once

// What a deployment looks like right now: its phase and colour with the reasons, and the
// state of every service. Computed by the reconciler from what the engine reports; the
// phase is also written to the store so that listings show it without asking the engine.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edge/router.h"

namespace yard::controller {

enum class Phase { kCreating, kBuilding, kStarting, kRunning, kDegraded, kStopped, kFailed, kDeleting };
std::string_view PhaseName(Phase phase);

enum class Colour { kGreen, kYellow, kRed };
std::string_view ColourName(Colour colour);

/// What the health check says; kNone when the service has no check (running counts).
enum class HealthState { kNone, kStarting, kHealthy, kUnhealthy };
std::string_view HealthStateName(HealthState health);

/// One service's container, as last observed.
enum class ServiceState {
  kPending,        // not started yet (building, or the deployment just began)
  kWaiting,        // waiting for the add-ons it imports from to be healthy
  kInstalling,     // the dev install step runs
  kStarting,       // created, health not passed yet
  kRunning,        // running (and healthy, if it has a check)
  kUnhealthy,      // running but failing its health check
  kCrashed,        // exited; restarting after a back-off
  kInstallFailed,  // the dev install step failed; waits for a restart or rebuild
  kStopped,        // the deployment is stopped
};
std::string_view ServiceStateName(ServiceState state);

struct ServiceStatus {
  std::string id;
  bool addon = false;
  ServiceState state = ServiceState::kPending;
  HealthState health = HealthState::kNone;
  int restarts = 0;
  std::string image;
  std::string container;  // the container's name, when there is one
  int64_t started_at = 0;
  /// "127.0.0.1:PORT" where the service's port is published (components only).
  std::string address;
  std::optional<int> last_exit_code;
  /// The last lines the previous container (or the install step) printed.
  std::vector<std::string> last_log;
  std::string reason;  // plain words, when there is something to say
};

/// One public endpoint: its hosts (generated first, then custom domains) and their
/// certificates, and where the edge sends its traffic.
struct EndpointStatus {
  std::string id;
  std::string service;
  std::string url;  // https://HOST[:PORT] of the generated host
  struct Host {
    std::string name;
    std::string url;  // https://NAME[:PORT]
    bool custom = false;
    edge::HostCertificate certificate;
  };
  std::vector<Host> hosts;
  std::string upstream;  // "127.0.0.1:PORT"; empty while nothing serves it
};

struct DeploymentStatus {
  Phase phase = Phase::kCreating;
  Colour colour = Colour::kYellow;
  std::vector<std::string> reasons;
  std::vector<ServiceStatus> services;
  std::vector<EndpointStatus> endpoints;
  /// Rollouts that failed and were rolled back (PhaseInputs::rollout_errors).
  std::vector<std::string> rolled_back;
  std::string commit;  // what runs
  /// The build of the target commit while it is queued or runs, or when it did not succeed
  /// (state "queued", "running", "failed", "cancelled", "interrupted"); 0 and "" otherwise.
  int64_t build_id = 0;
  std::string build_state;
  /// The service `ssh DEPLOYMENT.PROJECT@...` reaches: the manifest's `primary`, else the
  /// first component, else the first add-on.
  std::string primary;
  /// Development deployments: the code volume against the branch it follows.
  struct Code {
    std::string state;  // "up_to_date", "fast_forwarded", "diverged"
    std::string summary;
    std::string head;
    int ahead = 0;
    int behind = 0;
    int uncommitted_total = 0;
    std::vector<std::string> uncommitted;
  };
  std::optional<Code> code;
  /// The deployment's version (store::Deployment::version) this status reflects.
  int64_t observed_version = 0;
  int64_t observed_at = 0;
};

/// What the reconciler knows besides the services, for ComputePhase.
struct PhaseInputs {
  bool deleting = false;
  bool stopped = false;
  bool building = false;
  bool has_release = false;
  /// Set when the newest build for the target did not succeed: its one-line reason, and
  /// how it ended ("failed", "cancelled", "interrupted").
  std::string build_error;
  std::string build_ended = "failed";
  /// The build of the target under way, or the one that did not succeed (0: none).
  int64_t build_id = 0;
  bool build_queued = false;  // `building`, but still waiting in the queue
  /// Set when the stack cannot be read or resolved at the target commit.
  std::string config_error;
  /// Services whose new version is rolling out (the previous one serves or drains).
  std::vector<std::string> rolling_out;
  /// Rollouts that failed and were rolled back, one line each.
  std::vector<std::string> rollout_errors;
  /// Development deployments: the last code volume sync (DeploymentStatus::code).
  std::optional<DeploymentStatus::Code> code;
  /// Set when the edge refused or could not take the deployment's routes.
  std::string edge_error;
};

/// The phase, colour and reasons from the inputs and the services' states: green only when
/// every service runs healthy; red when something is broken (crash loop, unhealthy, failed
/// build or install with nothing to fall back on); yellow while work is under way.
void ComputePhase(const PhaseInputs& inputs, DeploymentStatus& status);

}  // namespace yard::controller
