#pragma once

// A service the server runs beside itself (its podman service, its Caddy): started, restarted
// when it exits and stopped, with its pid recorded so that the next server can end one that a
// killed server left running.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/process.h"
#include "base/result.h"

namespace yard {

struct SupervisedProcessOptions {
  /// How log lines and errors name the child: "caddy", "podman system service".
  std::string name;
  /// What the log lines start with: "edge", "engine".
  std::string log_prefix;
  /// argv, env, cwd and die_with_parent of the child (timeout, stdin_data and max_output_bytes
  /// are ignored). Every start happens on the supervision thread, so with die_with_parent the
  /// child lives exactly as long as its supervision.
  ProcessOptions process;
  /// The child's stdout and stderr are appended here; start errors quote its end.
  std::string log_path;
  /// The running child's pid is written here (for EndRecordedProcess) and removed on Stop.
  std::string pid_path;
  /// The unix socket the child listens on. A stale one is removed before every start: the
  /// child might otherwise fail to bind it, or `answers` reach a dead socket. Empty for none.
  std::string socket_path;
  /// Whether the child answers yet; Start polls it until it does. Called on the supervision
  /// thread, without locks held.
  std::function<bool()> answers;
  /// How long Start waits for `answers`.
  std::chrono::milliseconds start_timeout = std::chrono::seconds(20);
  /// Delays between restarts of a child that keeps exiting: doubling from min to max, back to
  /// min once it has run for `healthy_after`.
  std::chrono::milliseconds min_backoff = std::chrono::seconds(1);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(30);
  std::chrono::milliseconds healthy_after = std::chrono::seconds(60);
};

/// Runs one child and keeps it running: a supervision thread notices within half a second that
/// it exited and starts it again after the back-off. Thread-safe; Stop may interrupt Start.
class SupervisedProcess {
 public:
  explicit SupervisedProcess(SupervisedProcessOptions options);
  /// Stops the child if it runs.
  ~SupervisedProcess();
  SupervisedProcess(const SupervisedProcess&) = delete;
  SupervisedProcess& operator=(const SupervisedProcess&) = delete;

  /// Removes a stale socket, starts the child, records its pid and waits until it answers,
  /// then supervises it. On failure the child is ended and nothing is left running.
  /// Errors: kFailedPrecondition when already started or when Stop interrupts it; kNotFound
  /// when the program is missing; kUnavailable when the child exits before answering and kTimeout
  /// when it does not answer within start_timeout (both with the end of its log); kIo when the
  /// stale socket cannot be removed.
  Status Start();

  /// Stops supervising, ends the child (SIGTERM to its process group, SIGKILL after 10 s) and
  /// removes the pid file. Idempotent; does nothing when not started.
  void Stop();

  /// True from a successful Start until Stop.
  bool started();
  /// The running child's pid, or -1.
  pid_t pid();
  /// How many times the supervisor has restarted the child since Start.
  int restarts();

 private:
  void Run(std::stop_token stop);
  Status Spawn();  // REQUIRES: mutex_ held
  Status WaitUntilAnswering(std::stop_token stop);
  void Supervise(std::stop_token stop);

  const SupervisedProcessOptions options_;

  std::mutex control_mutex_;  // serializes starting and joining the supervision thread
  std::jthread supervisor_;   // guarded by control_mutex_

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::optional<Subprocess> process_;                 // guarded by mutex_
  std::optional<Status> start_status_;                // guarded by mutex_; set by Run for Start
  std::chrono::steady_clock::time_point started_at_;  // guarded by mutex_
  int restarts_ = 0;                                  // guarded by mutex_
  bool started_ = false;                              // guarded by mutex_
};

/// kInvalidArgument, naming `what` ("the engine socket"), when `path` does not fit in a unix
/// socket address (107 bytes on Linux); binding it would fail with a less helpful error.
Status CheckUnixSocketPath(const std::string& path, std::string_view what);

/// Ends the process whose pid `pid_path` records (a child a killed server left running), but
/// only if it still runs with every one of `arguments` among its command-line arguments: the
/// pid may have been reused since. SIGTERM to it and its process group, SIGKILL after 10 s;
/// waits until it is gone, then removes the pid file. True when it ended one.
bool EndRecordedProcess(const std::string& pid_path, const std::vector<std::string>& arguments);

}  // namespace yard
