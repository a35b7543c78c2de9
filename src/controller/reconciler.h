#pragma once

// One deployment's reconciler: each Pass compares the desired state in the store with what
// the engine runs and takes the steps that bring them together — check out the code, build
// the release, create the network, start add-ons, wait for their health, run the install
// step, start components, restart crashed containers with back-off, tear down on stop and
// delete. Level-triggered and idempotent: a Pass after a crash (of a container, the engine or
// the server) sees what is there, by labels, and carries on; nothing depends on memory of an
// earlier Pass except back-off timers and health history, which start afresh.
//
// Not thread-safe, except status(): one worker thread owns a Reconciler (controller.h).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "controller/context.h"
#include "controller/health.h"
#include "controller/plan.h"
#include "controller/status.h"
#include "git/bare_repository.h"
#include "manifest/parser.h"

namespace yard::controller {

class Reconciler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Reconciler(ControllerContext& context, int64_t deployment_id);

  struct Outcome {
    bool finished = false;  // the deployment is gone: the worker ends
    std::chrono::milliseconds next{2000};
  };
  /// One round of convergence. Never throws; problems end up in the status.
  Outcome Pass();

  /// The last published status (thread-safe).
  DeploymentStatus status() const;

  /// Back-off after the n-th crash in a row (n from 0): 1 s, 2 s, 4 s … 60 s.
  static std::chrono::milliseconds Backoff(int step);

 private:
  // What the reconciler remembers about a service between passes.
  struct Tracked {
    std::string container_id;
    std::string container_name;
    std::string image;
    std::optional<HealthTracker> health;
    int restarts = 0;
    int backoff_step = 0;
    TimePoint next_start{};
    TimePoint running_since{};
    int64_t started_at = 0;
    std::optional<int> last_exit_code;
    std::vector<std::string> last_log;
    std::map<int, int> published;
    std::string ip;
    std::string installed_digest;       // install step done for this digest
    std::string install_failed_digest;  // install step failed for this digest
    ServiceState state = ServiceState::kPending;
    std::string reason;

    // Rollouts (ServicePlan::rolling): the previous version's container serves until this
    // one is ready for traffic, then drains until `retire_at` and is stopped.
    struct Previous {
      std::string id;
      std::string name;
      std::string image;
      std::string ip;
      std::map<int, int> published;
      std::optional<TimePoint> retire_at;
    };
    std::optional<Previous> previous;
    std::string rollout_failed_digest;  // the version rolled back: not tried again
    std::string rollout_error;
    bool accepting = false;  // no health check: the container's port took a connection
  };

  Result<Outcome> Run();
  Status TearDown(const store::Deployment& d, bool remove_everything);
  /// Records a deleted deployment in the trash (once) and says where its volumes go.
  Result<std::string> RecordTrash(const store::Deployment& d, const std::string& planned);
  Result<const manifest::Stack*> LoadStack(const git::BareRepository& repository,
                                           const std::string& commit);
  Result<manifest::EnvResolution> ResolveEnv(const store::Deployment& d,
                                             const manifest::Stack& stack,
                                             const std::string& commit);
  /// The target has no release yet: queue its build, or report the build under way or how
  /// it failed, or make its finished build the release (and update `d`).
  Status ReleaseFromBuild(store::Deployment& d);
  /// Development stages: brings a new target into the code volume when nothing would be
  /// lost, and keeps code_ (the status's view of the volume) current.
  void SyncCode(const store::Deployment& d, const git::BareRepository& repository,
                const std::string& code);
  /// Returns the host's address on the deployment's network (empty if the engine names none).
  Result<std::string> EnsureNetwork(const store::Deployment& d);
  /// Development stages: what the containers need for Git (ctx_.dev_git), and the checkout's
  /// origin pointed at it; nullopt when not offered or not possible now (logged once).
  std::optional<DevGitSetup> OpenDevGit(const store::Deployment& d, const std::string& gateway,
                                        const std::string& code);
  /// Returns true while something is still starting (poll fast).
  Result<bool> Converge(const store::Deployment& d, const std::vector<ServicePlan>& plans);
  void ForgetImage(const store::Deployment& d, const std::string& service);
  Status StartService(const store::Deployment& d, const ServicePlan& plan, Tracked& tracked);
  bool RunInstall(const store::Deployment& d, const ServicePlan& plan, Tracked& tracked);
  void Probe(const ServicePlan& plan, Tracked& tracked, TimePoint now);
  void RecordCrash(const runtime::ContainerInfo& container, Tracked& tracked, TimePoint now);
  bool Ready(const std::string& service) const;
  void Publish(const store::Deployment& d, const std::vector<ServicePlan>* plans);
  // Rollouts and routes (reconciler_routes.cc).
  Status KeepPrevious(const store::Deployment& d, const ServicePlan& plan,
                      std::vector<runtime::ContainerInfo>& superseded);
  void RollBack(const store::Deployment& d, const ServicePlan& plan, Tracked& tracked,
                const std::string& why);
  bool ReadyForTraffic(const ServicePlan& plan, Tracked& tracked);
  /// Points the deployment's hosts at the containers that should serve them, and retires
  /// previous versions once they are drained. Returns true while a rollout is under way.
  bool Route(const store::Deployment& d, const std::vector<ServicePlan>& plans);
  void PublishEndpoints(const store::Deployment& d, const std::vector<ServicePlan>& plans,
                        DeploymentStatus& status);
  std::vector<std::string> TailLines(const std::string& container_id, int lines);

  ControllerContext& ctx_;
  const int64_t id_;
  std::map<std::string, Tracked> tracked_;
  PhaseInputs inputs_;
  // The stack of the last commit read, so that passes do not re-parse it.
  std::string stack_commit_;
  std::optional<manifest::ParseResult> stack_;
  std::optional<git::BareRepository> repository_;  // the project's, opened on first use
  std::string last_phase_;
  std::string recorded_phase_;  // the phase last reported as an event (ctx_.events)
  std::string synced_target_;  // the target last brought into the code volume (or tried)
  std::optional<DeploymentStatus::Code> code_;
  std::string origin_url_;     // what the checkout's origin was last pointed at
  std::string dev_git_error_;  // the last failure of OpenDevGit, logged once
  TimePoint next_code_check_{};
  std::string primary_;  // of the stack that runs (or will): DeploymentStatus::primary
  // The routes last given to the edge, for the status.
  std::vector<edge::EdgeRoute> routes_;
  // The plans of the Converge in progress, for progress published from inside it.
  const std::vector<ServicePlan>* converging_ = nullptr;

  mutable std::mutex status_mutex_;
  DeploymentStatus status_;  // guarded by status_mutex_
};

}  // namespace yard::controller
