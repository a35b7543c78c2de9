#pragma once

// A deployment's status at a glance, as `yard status` and GET …/status show it: the colour
// and the reasons first, then one section each for its containers (state, health, restarts,
// uptime, CPU and memory), its storage (the volumes and their sizes), its recent builds, its
// endpoints and their certificates. Assembled from the controller's status (what the
// reconciler saw last), the engine (asked at most once per container every few seconds,
// whatever the number of clients) and the disk (volume sizes, measured at most every 30 s).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "controller/naming.h"
#include "controller/status.h"
#include "deployments/sizes.h"
#include "runtime/runtime.h"
#include "store/builds.h"
#include "store/deployments.h"

namespace yard::deployments {

/// One container of the deployment: one per service (component or add-on), and during a
/// rollout also the previous version's that still serves or drains.
struct ContainerNode {
  std::string service;
  bool addon = false;
  /// An earlier version of the service, kept while its successor takes over.
  bool previous = false;
  std::string container;  // its name; empty while the service has none (pending, crashed)
  /// The controller's view (controller::ServiceStateName), or the engine's state when the
  /// controller has not looked yet.
  std::string state = "pending";
  /// What the engine says: "running", "exited", …; empty when there is no container.
  std::string engine_state;
  std::string health = "none";
  int restarts = 0;
  int64_t started_at = 0;  // Unix seconds; 0: not running
  int64_t uptime_seconds = 0;
  std::optional<int> last_exit_code;
  bool oom_killed = false;  // the engine killed its last run for lack of memory
  /// From the engine's statistics, while it runs (nullopt when they could not be read).
  std::optional<double> cpu_percent;
  std::optional<double> cpu_seconds;
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> memory_limit_bytes;  // the deployment's limit, or the host's memory
  /// When the statistics were read (StatusTreeOptions::now's clock), so that a rate between
  /// two trees (the resource sampler's CPU share, resource_sampler.h) divides by the time
  /// between the two reads rather than between the two trees (the engine's figures are cached).
  std::chrono::steady_clock::time_point stats_read_at{};
  std::string reason;
};

struct VolumeNode {
  std::string name;     // "code", or SERVICE/STORAGE ("db/data")
  std::string service;  // empty for the code volume
  std::string storage;  // the manifest's storage id; "code" for the code volume
  std::string path;
  int64_t bytes = 0;
  int64_t files = 0;
  bool partial = false;  // some entries could not be read
};

struct StorageNode {
  std::vector<VolumeNode> volumes;
  int64_t total_bytes = 0;
  /// The filesystem holding the volumes (DATA_DIR/volumes), as `df` shows it; 0 when
  /// unknown.
  int64_t filesystem_bytes = 0;
  int64_t filesystem_used_bytes = 0;
  int64_t filesystem_available_bytes = 0;
  int64_t measured_at = 0;  // Unix seconds
};

struct BuildNode {
  int64_t id = 0;
  std::string commit;
  std::string state;
  std::string error;
  int64_t queued_at = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  std::optional<int64_t> duration_seconds;  // started to finished, or to now while it runs
};

struct CertificateNode {
  std::string host;
  std::string endpoint;
  bool custom = false;
  std::string state;  // "pending", "valid", "expired", "error"
  std::string issuer;
  int64_t expires_at = 0;
  std::string error;
};

struct StatusTree {
  std::string project;
  std::string deployment;
  std::string stage;
  std::string phase;
  controller::Colour colour = controller::Colour::kYellow;
  std::vector<std::string> reasons;
  Limits size;
  std::vector<ContainerNode> containers;
  StorageNode storage;
  std::vector<BuildNode> builds;
  std::vector<controller::EndpointStatus> endpoints;
  std::vector<CertificateNode> certificates;
  /// Set when the engine could not be asked: the containers section is the controller's
  /// last view alone.
  std::string engine_error;
  int64_t observed_at = 0;  // when the controller last looked (0: not yet)
  int64_t generated_at = 0;
};

/// Thresholds of the colour rules.
struct ColourThresholds {
  double memory_near_limit = 0.9;   // of the deployment's memory limit
  double disk_near_full = 0.9;      // of the volumes' filesystem
  int restart_loop_restarts = 3;    // restarts, with the last less than …
  int64_t restart_loop_uptime_seconds = 600;  // … this long ago
  int64_t certificate_expiry_warning_seconds = 7 * 86400;
};

/// Refines the controller's colour and reasons with what the tree adds (status_colour.cc).
/// Never lowers a colour. Red: a container that should run does not (exited, dead, killed).
/// Yellow: a container restarting or in a restart loop, one killed for lack of memory, memory
/// near the limit, the volumes' disk nearly full, a certificate failing, expired, or from an
/// ACME CA and about to expire (the internal CA's last hours and are renewed all the time).
/// Each rule adds a reason in plain words. `now` is Unix seconds.
void ApplyColourRules(StatusTree& tree, bool should_run, int64_t now,
                      const ColourThresholds& thresholds = {});

struct StatusTreeSources {
  store::BuildStore* builds = nullptr;
  /// Null: no engine figures (tests of the rest).
  runtime::Runtime* runtime = nullptr;
  controller::Naming naming;  // volumes_dir: where the volumes are
  const Clock* clock = nullptr;
  /// False while the engine has not been started: it is not started just to be measured.
  std::function<bool()> engine_active = [] { return true; };
};

struct StatusTreeOptions {
  std::chrono::milliseconds engine_ttl{5000};
  std::chrono::milliseconds disk_ttl{30000};
  int builds = 5;  // the most recent builds shown
  /// Containers measured at once.
  int parallelism = 8;
  ColourThresholds thresholds;
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

/// Thread-safe.
class StatusTrees {
 public:
  explicit StatusTrees(StatusTreeSources sources, StatusTreeOptions options = {});
  ~StatusTrees();
  StatusTrees(const StatusTrees&) = delete;
  StatusTrees& operator=(const StatusTrees&) = delete;

  /// The tree of `d`, whose last observed status (DeploymentService::StatusOf) is `status`.
  StatusTree Of(const store::Deployment& d,
                const std::optional<controller::DeploymentStatus>& status);

  /// The trees of several deployments, a few at once (a first look at a container's
  /// statistics takes half a second). `status_of` gives each one's last observed status.
  using StatusSource =
      std::function<std::optional<controller::DeploymentStatus>(const store::Deployment&)>;
  std::vector<StatusTree> OfAll(const std::vector<store::Deployment>& all,
                                const StatusSource& status_of);

  /// Bytes under `path` (DiskUsage), cached like the volumes; 0 when it does not exist.
  int64_t DirectoryBytes(const std::string& path);

  store::BuildStore* builds() const { return sources_.builds; }

 private:
  struct Engine;
  struct Snapshot;
  std::shared_ptr<const Snapshot> EngineSnapshot(int64_t deployment_id);
  StorageNode Storage(const store::Deployment& d);

  StatusTreeSources sources_;
  StatusTreeOptions options_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace yard::deployments
