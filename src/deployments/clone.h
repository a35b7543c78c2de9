#pragma once

// Clones: a new deployment made from an existing one with its data — configuration (branch,
// params, env overrides, size), generated values, the code volume with its uncommitted
// changes, and every storage volume — optionally of another stage of the same project (a
// copy of production as a development deployment). Domains are not copied: they are unique.
//
// The new row is recorded at once in phase "cloning", which the controller leaves alone
// (reconciler.cc); the copy runs on a thread of its own. Storage volumes are copied while the
// source's containers that use them are paused (frozen, not stopped: connections stay open),
// so the copy is what a crash at that instant would leave on disk, which databases recover
// from; they are unpaused as soon as their volumes are copied, also on failure. The code
// volume is copied next, the source running. Then the phase becomes "creating" and the
// controller starts the clone as any new deployment. Each file is a reflink where the
// filesystem allows it (volumes/copy_tree.h).
//
// A clone that fails is removed (its row and its partial volumes), and the failure is kept
// for ProgressOf and reported as an event. A server killed mid-clone leaves a row in
// "cloning": Recover, at the next start, unpauses what that clone paused and removes it.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "controller/controller.h"
#include "controller/naming.h"
#include "deployments/sizes.h"
#include "events/sink.h"
#include "runtime/runtime.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/users.h"
#include "volumes/file_copy.h"

namespace yard::deployments {

/// The phase of a deployment whose volumes are being copied.
inline constexpr std::string_view kCloningPhase = "cloning";

struct CloneRequest {
  std::string name;   // the new deployment
  std::string stage;  // a stage of the stack; empty: the source's
  std::optional<Limits> size;  // the clone's limits; none: the source's
};

struct CloneProgress {
  enum class State { kCopying, kDone, kFailed };
  State state = State::kCopying;
  int64_t deployment_id = 0;
  std::string source;  // the source deployment's name
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;  // measured before the copy
  bool reflinks = false;    // every file with data was shared rather than copied
  std::string error;        // kFailed: why
  int64_t started_at = 0;   // Unix seconds
  int64_t finished_at = 0;  // 0 while copying
  double seconds = 0;       // kDone: how long the copy took, pauses included
};
std::string_view CloneStateName(CloneProgress::State state);

struct ClonerContext {
  store::DeploymentStore& store;
  controller::Controller* controller = nullptr;  // woken at the hand-over; null in tests
  runtime::Runtime* runtime = nullptr;           // pauses the source; null: nothing runs
  controller::Naming naming;
  const Clock& clock;
  volumes::Reflink reflink = volumes::Reflink::kAuto;
};

/// Thread-safe.
class Cloner {
 public:
  explicit Cloner(ClonerContext context) : ctx_(std::move(context)) {}
  ~Cloner();
  Cloner(const Cloner&) = delete;
  Cloner& operator=(const Cloner&) = delete;

  /// Checks the request, records the new deployment (phase "cloning") and starts the copy;
  /// returns the new row. kInvalidArgument for a bad name or a stage the stack at the
  /// source's commit does not have; kAlreadyExists for a taken name; kFailedPrecondition
  /// when the source is being deleted or cloned itself, or the name's volumes directory is
  /// left on disk; kUnavailable when the server is stopping.
  Result<store::Deployment> Clone(const store::Project& project, const store::Deployment& source,
                                  const CloneRequest& request, const store::User& by);
  /// How the clone named `name` in the project goes (or went, since the server started).
  std::optional<CloneProgress> ProgressOf(int64_t project_id, const std::string& name);

  /// At server start, before the controller: clones a killed server left in "cloning" are
  /// removed (row and partial volumes) after unpausing the containers they had paused.
  Status Recover();
  /// Stops copies in flight (each unpauses the source and removes its clone) and waits for
  /// them. Clone refuses afterwards.
  void Stop();

  /// Where clones are reported (events/sink.h); null: nowhere.
  void set_events(events::Sink* sink) { events_ = sink; }

 private:
  struct Job;
  void Run(Job& job);
  Status Copy(Job& job);
  void Publish(Job& job, bool force);
  void Fail(Job& job, const Error& error);

  ClonerContext ctx_;
  events::Sink* events_ = nullptr;
  std::mutex mutex_;
  bool stopping_ = false;                                              // guarded by mutex_
  std::map<std::pair<int64_t, std::string>, CloneProgress> progress_;  // guarded by mutex_
  std::map<int64_t, std::thread> threads_;  // by the new deployment's id; guarded by mutex_
  std::vector<int64_t> finished_;           // threads to join; guarded by mutex_
  std::atomic<bool> stop_copies_{false};
};

}  // namespace yard::deployments
