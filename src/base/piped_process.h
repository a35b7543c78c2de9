#pragma once

// A child whose stdin, stdout and stderr are pipes that the caller drives with poll(2): the
// SSH gateway's git services (git-upload-pack, git-receive-pack) speak their protocol through
// one, byte for byte, for as long as the client keeps the channel open.

#include <sys/types.h>

#include <chrono>

#include "base/process.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace yard {

/// Not thread-safe. The destructor kills a child that still runs (SIGKILL to its group).
class PipedProcess {
 public:
  /// Starts `options.argv` in a process group of its own (timeout, stdin_data and
  /// max_output_bytes are ignored). Our ends of the three pipes are nonblocking and
  /// close-on-exec, so that no other child started meanwhile inherits them.
  /// Errors as RunProcess: kInvalidArgument, kNotFound, kIo.
  static Result<PipedProcess> Start(const ProcessOptions& options);

  PipedProcess(PipedProcess&& other) noexcept = default;
  PipedProcess& operator=(PipedProcess&& other) noexcept;
  PipedProcess(const PipedProcess&) = delete;
  PipedProcess& operator=(const PipedProcess&) = delete;
  ~PipedProcess();

  pid_t pid() const { return process_.pid(); }
  /// Where the child's input goes; -1 after CloseStdin().
  int stdin_fd() const { return stdin_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  int stderr_fd() const { return stderr_.get(); }

  /// The child reads EOF once it has read what was written before.
  void CloseStdin() { stdin_.reset(); }
  /// True until the child has exited and been reaped.
  bool Running() { return process_.Running(); }
  /// Waits up to `timeout` for the child to exit: its exit code, or 128+N when signal N ended
  /// it (as shells and ssh report it). kTimeout while it still runs. Whatever the child's
  /// group left behind is killed once the child has exited.
  Result<int> Wait(std::chrono::milliseconds timeout);
  /// Sends `signal` to the child's process group; nothing once the child has been reaped.
  void Kill(int signal);

 private:
  PipedProcess(Subprocess process, UniqueFd in, UniqueFd out, UniqueFd err)
      : process_(std::move(process)),
        stdin_(std::move(in)),
        stdout_(std::move(out)),
        stderr_(std::move(err)) {}

  Subprocess process_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
};

}  // namespace yard
