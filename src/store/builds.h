#pragma once

// The builds table: builds are durable jobs. The controller queues one when a deployment's
// target has no images yet; a build runner claims the oldest queued build, runs it and
// records the outcome. A build still 'running' when the server starts lost its runner (the
// server was killed): it is marked 'interrupted', never left running.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

enum class BuildState { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kInterrupted };
std::string_view BuildStateName(BuildState state);
Result<BuildState> ParseBuildState(std::string_view name);
/// Succeeded, failed, cancelled or interrupted: nothing will happen to it any more.
bool IsFinished(BuildState state);

struct BuildRecord {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string commit;
  int64_t nonce = 0;  // the deployment's build_nonce it was queued for
  BuildState state = BuildState::kQueued;
  std::string reason;  // why it was queued
  std::string error;   // why it failed or was cancelled
  std::map<std::string, std::string> images;
  int64_t queued_at = 0;
  std::optional<int64_t> started_at;
  std::optional<int64_t> finished_at;
  std::optional<int64_t> requested_by;  // a user id; nullopt: the platform
};

/// Thread-safe (the Database serialises). State changes are conditional on the state they
/// leave, so that a runner and a cancel racing each other cannot both win.
class BuildStore {
 public:
  BuildStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<BuildRecord> Enqueue(int64_t deployment_id, const std::string& commit, int64_t nonce,
                              const std::string& reason, std::optional<int64_t> requested_by);
  /// The oldest queued build, now 'running'; nullopt when the queue is empty.
  Result<std::optional<BuildRecord>> ClaimNext();
  /// Records the end of a running build. kFailedPrecondition when it is not running (it was
  /// cancelled while queued, or finished already).
  Status Finish(int64_t id, BuildState state, const std::string& error,
                const std::map<std::string, std::string>& images);
  /// Cancels a queued build. False when it is not queued (running, or finished).
  Result<bool> CancelQueued(int64_t id, const std::string& why);
  /// The deployment's queued and running builds that are not for (commit, nonce): a newer
  /// target superseded them. Queued ones are cancelled here; running ones are returned for
  /// the runner to stop.
  Result<std::vector<BuildRecord>> Supersede(int64_t deployment_id, const std::string& commit,
                                             int64_t nonce);
  /// Marks every 'running' build 'interrupted' (at start: their runner died with the
  /// server). Returns them.
  Result<std::vector<BuildRecord>> InterruptRunning(const std::string& why);

  Result<BuildRecord> Find(int64_t id);
  /// The deployment's builds, newest first.
  Result<std::vector<BuildRecord>> List(int64_t deployment_id, int limit);
  /// The newest build of the deployment for (commit, nonce), and how many were interrupted.
  struct TargetBuilds {
    std::optional<BuildRecord> latest;
    int interrupted = 0;
  };
  Result<TargetBuilds> ForTarget(int64_t deployment_id, const std::string& commit, int64_t nonce);
  /// Queued and running builds of the installation, oldest first: the queue.
  Result<std::vector<BuildRecord>> Active();
  /// Images of builds that succeeded at or after `since_unix` (not yet pruned: their release
  /// may be about to be recorded).
  Result<std::set<std::string>> ImagesBuiltSince(int64_t since_unix);
  /// The position of a queued build in the queue (1: next), or 0 when it is not queued.
  Result<int> QueuePosition(int64_t id);

 private:
  Result<std::vector<BuildRecord>> Query(const std::string& where_and_order,
                                         const std::vector<std::string>& args);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
