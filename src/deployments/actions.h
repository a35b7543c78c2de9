#pragma once

// Actions (docs/deployments.md "Actions and one-off commands"): the manifest's named actions
// (`yard action run shop/prod migrate`) and one-off commands (`yard exec shop/dev -- ls`),
// run in a running container of the deployment as engine execs.
//
// Each run is recorded (store/action_runs.h: running, then succeeded or failed with its exit
// code; 'interrupted' when the server stopped under it) and its output is kept in a log store
// of its own (DATA_DIR/actions, logs/store.h): per deployment one service "runs", each line
// carrying the run's id as its generation, so that a run's lines are found by its time range
// and id and the store's size and age limits bound them all. A run's output is also cut at
// ActionsOptions::max_output_bytes. Runs outlive the request that started them: a thread
// watches each one, so a client that goes away leaves it running and recorded, and its output
// can be read again (`yard action logs`).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "controller/status.h"
#include "events/sink.h"
#include "logs/store.h"
#include "manifest/model.h"
#include "runtime/runtime.h"
#include "store/action_runs.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/users.h"

namespace yard::deployments {

/// The log store service that holds every run's output of a deployment.
inline constexpr char kRunsService[] = "runs";

struct ActionsDeps {
  store::ActionRunStore& runs;
  runtime::Runtime& runtime;
  logs::Store& output;  // its own directory (DATA_DIR/actions), not the containers' logs
  /// The deployment's last observed status (Controller::StatusOf): which containers run its
  /// services. Empty: nothing runs.
  std::function<std::optional<controller::DeploymentStatus>(int64_t deployment_id)> status_of;
  const Clock& clock;
  events::Sink* events = nullptr;
};

struct ActionsOptions {
  /// A run's output beyond this is dropped (a note says so); the command runs on.
  size_t max_output_bytes = 8 << 20;
  /// Runs at once, server-wide: each holds a thread and an engine connection.
  size_t max_running = 32;
  /// How long the engine is asked for the exit code once the output ended.
  std::chrono::milliseconds settle_limit = std::chrono::seconds(5);
};

/// One of the manifest's actions, and whether the deployment's stage may run it.
struct ActionInfo {
  manifest::Action action;
  bool available = true;
};

struct ActionList {
  std::string commit;  // whose manifest was read: what runs, else the target
  std::vector<ActionInfo> actions;
};

/// A run's output from a position on.
struct RunOutput {
  store::ActionRun run;          // as it was before the lines were read
  std::vector<logs::LogLine> lines;
  logs::Cursor cursor;           // where to go on
  /// The run has ended and every line it wrote has been returned before.
  bool complete = false;
};

class Actions {
 public:
  explicit Actions(ActionsDeps deps, ActionsOptions options = {});
  /// Stop().
  ~Actions();
  Actions(const Actions&) = delete;
  Actions& operator=(const Actions&) = delete;

  /// At start: runs a stopped or killed server left 'running' become 'interrupted', and the
  /// output store's age limit is applied to every deployment's output.
  Status Recover();

  /// The actions of the manifest at what the deployment runs (its release's commit, else its
  /// target). kFailedPrecondition when that manifest cannot be read.
  Result<ActionList> List(const store::Project& project, const store::Deployment& d);

  /// Starts the named action in its component's running container and returns the run.
  /// kNotFound for an action the manifest does not have (listing those it has);
  /// kInvalidArgument for one not allowed in the deployment's stage (listing its stages);
  /// kFailedPrecondition when the deployment is stopped or the component has no running
  /// container (saying why).
  Result<store::ActionRun> RunAction(const store::Project& project, const store::Deployment& d,
                                     const std::string& action, const store::User& user);
  /// Starts `command` (argv) in `component`'s running container (empty: the stack's primary
  /// service). kInvalidArgument for an empty or oversized command; kNotFound for a component
  /// the deployment does not have; kFailedPrecondition as for RunAction.
  Result<store::ActionRun> Exec(const store::Project& project, const store::Deployment& d,
                                const std::string& component,
                                const std::vector<std::string>& command,
                                const store::User& user);

  /// The deployment's runs, newest first.
  Result<std::vector<store::ActionRun>> Runs(const store::Deployment& d, int limit);
  /// kNotFound also for a run of another deployment.
  Result<store::ActionRun> FindRun(const store::Deployment& d, int64_t run_id);
  /// The run's output after `cursor` (empty: from its start). Returns at once; call again
  /// with the returned cursor for more while `complete` is false.
  Result<RunOutput> Output(const store::Deployment& d, int64_t run_id, const logs::Cursor& cursor);

  /// Stops watching: runs still going are recorded as interrupted (the command may go on in
  /// its container). Waits for the watching threads.
  void Stop();

 private:
  struct Watched;

  Result<store::ActionRun> Start(const store::Project& project, const store::Deployment& d,
                                 const std::string& service, const std::string& action,
                                 std::vector<std::string> command, const store::User& user);
  void Watch(Watched& watched);
  void Report(const store::Project& project, const store::Deployment& d,
              const store::ActionRun& run, const store::User* user, std::string kind,
              std::string message);
  // Appends lines of one run in time order with every other run's (one service).
  void Append(int64_t deployment_id, std::vector<logs::LogLine>& lines);

  ActionsDeps deps_;
  const ActionsOptions options_;
  std::mutex append_mutex_;
  int64_t last_time_ns_ = 0;  // guarded by append_mutex_: the newest line's time
  std::mutex mutex_;
  std::list<std::unique_ptr<Watched>> watched_;  // guarded by mutex_
  std::atomic<bool> stopping_{false};
};

/// The argv a manifest command runs: shell form through /bin/sh -c, exec form as it is.
std::vector<std::string> CommandArgv(const manifest::Command& command);

}  // namespace yard::deployments
