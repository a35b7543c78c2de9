#pragma once

// What a session channel runs: a command in a container (ContainerAccess::Exec) or Git on
// the host (GitBackend::Start). The gateway's pump moves the channel's bytes to and from the
// process's descriptors; this interface is all it knows of the process.

#include "base/result.h"

namespace yard::ssh {

class SessionProcess {
 public:
  virtual ~SessionProcess() = default;

  /// Where the client's input goes; nonblocking. May be the same descriptor as stdout_fd()
  /// (a container's attach socket carries both directions). -1 once CloseStdin() was called
  /// on a separate descriptor.
  virtual int stdin_fd() const = 0;
  /// Where output comes from; nonblocking. EOF on it means the process is done writing.
  virtual int stdout_fd() const = 0;
  /// Standard error, or -1 when it arrives on stdout_fd() (merged in a TTY, or multiplexed).
  virtual int stderr_fd() const = 0;
  /// True when stdout_fd() carries Docker's 8-byte-header frames of stdout and stderr
  /// (runtime/docker_stream.h); false when it carries raw bytes.
  virtual bool multiplexed() const = 0;

  /// The client sent EOF: the process sees the end of its input (shutdown(SHUT_WR) on a
  /// socket, close on a pipe). Output keeps flowing.
  virtual void CloseStdin() = 0;
  /// The client's terminal changed size (TTY sessions; ignored otherwise).
  virtual void Resize(int rows, int cols) = 0;
  /// A signal the client asked for (already checked against the allow-list).
  virtual Status Signal(int signal) = 0;
  /// After EOF on the output: the exit status, 128+N for a process killed by signal N. May
  /// block a few seconds while the engine notices the exit.
  virtual Result<int> Wait() = 0;
  /// The client went away while the process runs: end it (SIGHUP now, SIGKILL a little later
  /// if it is still there). Never blocks.
  virtual void Hangup() = 0;
};

}  // namespace yard::ssh
