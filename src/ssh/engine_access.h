#pragma once

// ContainerAccess on the container engine (runtime::Runtime): sessions are hijacked engine
// execs, and dials are made from inside the container's network namespace with setns(2) on
// a short-lived helper thread. Needs root with a rootful engine on the same host, in the same
// pid namespace (the engine's host pids are signalled, its namespace files opened).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "runtime/runtime.h"
#include "ssh/container_access.h"

namespace yard::ssh {

struct EngineAccessOptions {
  /// A hung-up exec that is still there this long after SIGHUP gets SIGKILL.
  std::chrono::milliseconds kill_after = std::chrono::seconds(5);
  /// How long Wait asks the engine for the exit code once the output ended.
  std::chrono::milliseconds settle_limit = std::chrono::seconds(5);
};

/// Thread-safe. Must outlive the sessions it starts. Its destructor sends the SIGHUPs still
/// due and drops the SIGKILLs that were waiting.
class EngineAccess final : public ContainerAccess {
 public:
  explicit EngineAccess(runtime::Runtime& runtime, EngineAccessOptions options = {});
  ~EngineAccess() override;

  EngineAccess(const EngineAccess&) = delete;
  EngineAccess& operator=(const EngineAccess&) = delete;

  /// A session whose stdin and stdout are the exec's attach socket (nonblocking), framed
  /// without a TTY. Its process is hung up when the session is destroyed before Wait saw it
  /// end.
  Result<std::unique_ptr<SessionProcess>> Exec(const ExecRequest& request) override;
  /// Returns a nonblocking socket. kFailedPrecondition when the container does not run or its
  /// network namespace cannot be entered (or is the host's own).
  Result<UniqueFd> Dial(const std::string& container_id, const std::string& ip, int port,
                        std::chrono::milliseconds timeout) override;

 private:
  class Session;

  // An exec to end: SIGHUP first, SIGKILL kill_after later if it is still there.
  struct Orphan {
    std::string container_id;
    std::string exec_id;
    int64_t pid = 0;                                // once it got SIGHUP
    std::chrono::steady_clock::time_point due;      // when to look at it next
    std::chrono::steady_clock::time_point give_up;  // while the engine cannot tell its pid
  };

  /// Queues the exec for SIGHUP and, later, SIGKILL; returns at once.
  void Hangup(std::string container_id, std::string exec_id);
  void Reap(std::stop_token stop);
  // Takes the orphan's next step; false when done with it.
  bool Step(Orphan& orphan);
  /// Sends `signal` to `pid` (to its group when `group` and it leads one) once
  /// /proc/PID/cgroup shows it belongs to the container. kFailedPrecondition when it does not.
  Status SignalProcess(const std::string& container_id, int64_t pid, int signal, bool group,
                       const std::string& what);
  /// The container's full id (the cgroup names it), from `id` or the engine.
  Result<std::string> FullId(const std::string& id);

  runtime::Runtime& runtime_;
  const EngineAccessOptions options_;

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Orphan> fresh_;     // guarded by mutex_: handed over by Hangup
  std::vector<Orphan> orphans_;  // the reaper thread's own
  std::jthread reaper_;          // last: it uses everything above
};

}  // namespace yard::ssh
