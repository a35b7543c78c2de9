#pragma once

// The build queue's runner: builds are durable rows (store/builds.h) that the controller
// queues; `concurrency` threads here take the oldest queued build, make its images with
// ImageBuilder (held to the build CPU and memory limits, cut at the timeout), write its log to
// DATA_DIR/builds/<id>.log as it goes, and record the outcome. The deployment's worker is
// woken and makes a successful build the release. Builds run off the deployments' workers, so
// a deployment keeps restarting crashed containers and checking health while it builds.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/context.h"
#include "controller/images.h"
#include "store/builds.h"

namespace yard::controller {

struct BuildRunnerOptions {
  int concurrency = 1;
  /// Limits of each build's containers (0: none).
  double cpus = 0;
  int64_t memory_bytes = 0;
  std::chrono::seconds timeout{1800};
};

class BuildRunner final : public BuildQueue {
 public:
  /// `finished` is called with the deployment id after each build ends.
  BuildRunner(ControllerContext& context, BuildRunnerOptions options,
              std::function<void(int64_t deployment_id)> finished);
  ~BuildRunner() override;
  BuildRunner(const BuildRunner&) = delete;
  BuildRunner& operator=(const BuildRunner&) = delete;

  /// Starts the threads. Builds left running by a killed server must have been marked
  /// interrupted first (BuildStore::InterruptRunning).
  void Start();
  /// Stops taking builds and stops the running ones, recorded as interrupted so that the
  /// next start queues them again; waits up to `grace` for them.
  /// Returns false when some did not end in time (the next start marks them interrupted).
  bool Stop(std::chrono::milliseconds grace);

  /// Claims the oldest queued build and runs it on the calling thread; false when the queue
  /// is empty. The threads use it; tests may call it instead of starting them.
  bool RunNext();

  void Wake() override;
  /// A queued build is cancelled at once; a running one is stopped (its thread records it
  /// as cancelled within a moment). kNotFound for an unknown build; kFailedPrecondition when
  /// it has finished already.
  Status Cancel(int64_t build_id, const std::string& why) override;

 private:
  void Run();
  /// Runs one claimed build to its end and records it.
  void Execute(const store::BuildRecord& build);
  Result<ImageSet> MakeImages(const store::BuildRecord& build, const std::atomic<bool>& cancel,
                              const runtime::LineSink& log);

  ControllerContext& ctx_;
  const BuildRunnerOptions options_;
  std::function<void(int64_t)> finished_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  int active_ = 0;         // builds in Execute; guarded by mutex_
  struct Running {
    std::atomic<bool> cancel = false;
    std::string why;         // guarded by mutex_
    bool interrupt = false;  // the server stops: resumable; guarded by mutex_
  };
  std::map<int64_t, std::shared_ptr<Running>> running_;  // guarded by mutex_
  std::map<int64_t, std::string> early_cancels_;  // claimed, not yet running; guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace yard::controller
