#pragma once

// The controller: one worker thread per deployment runs its Reconciler whenever woken (an
// API change, a finished build) and on a timer (crashes, health); builds run on the
// BuildRunner's threads. At start it marks builds whose process died as interrupted and
// removes engine objects of this installation that belong to no deployment (left by a crash
// between creating an object and recording its deployment, or by a delete that was cut
// short), then starts a worker for every deployment in the store.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "controller/build_runner.h"
#include "controller/context.h"
#include "controller/reconciler.h"

namespace yard::controller {

class Controller {
 public:
  explicit Controller(ControllerContext context, BuildRunnerOptions builds = {})
      : ctx_(std::move(context)), build_options_(builds) {}
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  /// Recovery (see above), then workers for every deployment.
  Status Start();
  /// Looks at the deployment now; starts its worker if it has none.
  void Wake(int64_t deployment_id);
  /// The deployment's last observed status; nullopt before its first pass.
  std::optional<DeploymentStatus> StatusOf(int64_t deployment_id);
  /// Cancels a queued build or stops a running one (BuildRunner::Cancel).
  Status CancelBuild(int64_t build_id, const std::string& why);
  /// Asks every worker to stop and waits up to `grace`. Returns false when some worker is
  /// still in a long step (a build): the caller may exit anyway — the next start resumes.
  bool Stop(std::chrono::milliseconds grace);

  /// Removes engine objects of this installation whose deployment is not in the store.
  Status SweepOrphans();

 private:
  struct Worker {
    std::unique_ptr<Reconciler> reconciler;
    std::mutex mutex;
    std::condition_variable wake;
    bool woken = false;
    bool stopping = false;
    bool done = false;
    std::thread thread;
  };
  void Run(Worker& worker);

  ControllerContext ctx_;
  const BuildRunnerOptions build_options_;
  std::unique_ptr<BuildRunner> runner_;  // made by Start
  std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<Worker>> workers_;  // guarded by mutex_
  bool stopping_ = false;                               // guarded by mutex_
};

}  // namespace yard::controller
