#pragma once

// How the gateway reaches into a container: commands through the engine's exec, and TCP
// connections from inside the container's network namespace. The production implementation
// is ssh/engine_access.h (runtime::Runtime + setns); gateway tests use a fake.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "ssh/session_process.h"

namespace yard::ssh {

struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  /// Added to the container's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  bool tty = false;
  int rows = 24;  // TTY only
  int cols = 80;
};

class ContainerAccess {
 public:
  virtual ~ContainerAccess() = default;

  /// Starts `request.cmd` in the running container with stdin, stdout and stderr attached.
  /// kNotFound when the container is gone; kFailedPrecondition when it is not running.
  virtual Result<std::unique_ptr<SessionProcess>> Exec(const ExecRequest& request) = 0;

  /// A connected TCP socket (blocking mode unspecified) to `ip`:`port` as seen from inside the
  /// container's network namespace: 127.0.0.1 is the container's own loopback. `ip` is an IP
  /// literal (policy and name resolution happen before). kUnavailable when refused or
  /// unreachable, kTimeout past `timeout`.
  virtual Result<UniqueFd> Dial(const std::string& container_id, const std::string& ip, int port,
                                std::chrono::milliseconds timeout) = 0;
};

}  // namespace yard::ssh
