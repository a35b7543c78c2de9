#pragma once

// The action_runs table (migration 8): each run of a manifest's named action or of a one-off
// command in a deployment's container, who started it, and how it ended. The output is kept
// beside it in the log store (deployments/actions.h). A run still 'running' when the server
// starts lost the server that watched it: it is marked 'interrupted', never left running.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

enum class RunState { kRunning, kSucceeded, kFailed, kInterrupted };
std::string_view RunStateName(RunState state);
Result<RunState> ParseRunState(std::string_view name);

struct ActionRun {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string service;  // the component (or add-on) it ran in
  std::string action;   // the manifest's action id; empty for a one-off command
  std::vector<std::string> command;  // argv
  RunState state = RunState::kRunning;
  std::optional<int> exit_code;  // once it ended by itself
  std::string error;             // why it failed without an exit code, or was interrupted
  int64_t started_at = 0;        // Unix seconds
  std::optional<int64_t> finished_at;
  std::optional<int64_t> started_by;  // a user id; nullopt once that user is deleted
};

/// Thread-safe (the Database serialises). A run leaves 'running' once, whoever ends it.
class ActionRunStore {
 public:
  ActionRunStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Records a run that starts now.
  Result<ActionRun> Start(int64_t deployment_id, const std::string& service,
                          const std::string& action, const std::vector<std::string>& command,
                          std::optional<int64_t> started_by);
  /// Records the end of a running run. kFailedPrecondition when it is not running.
  Status Finish(int64_t id, RunState state, std::optional<int> exit_code,
                const std::string& error);
  /// Marks every 'running' run 'interrupted' (at start: the server that ran them is gone).
  /// Returns them as they were.
  Result<std::vector<ActionRun>> InterruptRunning(const std::string& why);

  /// kNotFound when there is no such run.
  Result<ActionRun> Find(int64_t id);
  /// The deployment's runs, newest first.
  Result<std::vector<ActionRun>> List(int64_t deployment_id, int limit);

 private:
  Result<std::vector<ActionRun>> Query(const std::string& where_and_order,
                                       const std::vector<std::string>& args);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
