#pragma once

// Child processes: git, podman, caddy and friends are driven through this one seam.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace yard {

struct ProcessOptions {
  /// argv[0] is looked up in PATH when it has no slash.
  std::vector<std::string> argv;
  /// Variables set (or overridden) on top of the parent's environment.
  std::map<std::string, std::string> env;
  /// When true, the child starts with only `env` (plus nothing inherited).
  bool clear_env = false;
  /// Working directory; empty means the parent's.
  std::string cwd;
  /// Written to the child's stdin, which is then closed. Without it stdin is /dev/null.
  std::optional<std::string> stdin_data;
  /// After this long the child's process group gets SIGTERM, then SIGKILL after kill_grace.
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_grace{2000};
  /// The child gets SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG). For test
  /// harnesses, whose children must not outlive a test binary that aborts; only from a thread
  /// that lives as long as the child should.
  bool die_with_parent = false;
  /// Output beyond this many bytes per stream is read and dropped (the child never blocks on
  /// a full pipe); ProcessResult says it was truncated.
  size_t max_output_bytes = 16 * 1024 * 1024;
};

struct ProcessResult {
  /// Exit status when the child exited normally; -1 otherwise.
  int exit_code = -1;
  /// The signal that ended the child, or 0.
  int term_signal = 0;
  bool timed_out = false;
  bool output_truncated = false;
  std::string stdout_data;
  std::string stderr_data;

  bool Succeeded() const { return exit_code == 0 && !timed_out; }
  /// One line for error messages: "exited with status 3", "killed by signal 9", "timed out".
  std::string Describe() const;
};

/// Runs a child to completion, capturing stdout and stderr.
/// Errors: kInvalidArgument for an empty argv; kNotFound when the program cannot be executed;
/// kIo when pipes or fork fail. A non-zero exit is not an error: check ProcessResult.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

/// Like RunProcess, but an unsuccessful exit becomes an kInternal error whose message holds
/// the command, ProcessResult::Describe() and the tail of stderr.
Result<ProcessResult> RunChecked(const ProcessOptions& options);

/// A long-running child (a supervised service such as `podman system service` or caddy).
/// It runs in its own process group. Output goes to the given files or is inherited.
/// Not thread-safe; the destructor kills the child (Terminate) if it still runs.
class Subprocess {
 public:
  struct Spawn {
    ProcessOptions options;  // timeout, stdin_data and max_output_bytes are ignored
    /// Paths the child's stdout / stderr are appended to; empty means inherit the parent's.
    std::string stdout_path;
    std::string stderr_path;
    /// Descriptors the child gets as stdin / stdout / stderr instead of /dev/null and the paths
    /// above, when >= 0 (PipedProcess's pipes). The caller keeps them and closes its copies.
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
  };

  static Result<Subprocess> Start(const Spawn& spawn);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  /// True while the child has not been reaped.
  bool Running();
  /// Waits up to `timeout` for the child to exit; kTimeout if it is still running.
  Result<ProcessResult> Wait(std::chrono::milliseconds timeout);
  /// SIGTERM to the process group, SIGKILL after `grace`, then reaps. Idempotent.
  ProcessResult Terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<ProcessResult> finished_;
};

/// Finds an executable in PATH; nullopt when absent.
std::optional<std::string> FindExecutable(const std::string& name);

}  // namespace yard
