#pragma once

// Git over SSH for the `git` user: the gateway hands the exec request's command line here.
// The production implementation (ssh/git_service.h) checks the project and the user's
// membership, runs git-upload-pack or git-receive-pack on the project's bare repository with
// Stackyard's hooks, and records push events when the process ends well.

#include <memory>
#include <string>

#include "base/result.h"
#include "ssh/directory.h"
#include "ssh/session_process.h"

namespace yard::ssh {

class GitBackend {
 public:
  virtual ~GitBackend() = default;

  /// `command`: the exec request as the client sent it ("git-receive-pack '/shop.git'").
  /// `git_protocol`: the client's GIT_PROTOCOL env value ("version=2"), or empty.
  /// Errors carry a message for the client's stderr ("yard: ..."); kInvalidArgument for a
  /// command that is not a Git service, kNotFound for a project the user cannot reach,
  /// kFailedPrecondition for a push to a mirror.
  virtual Result<std::unique_ptr<SessionProcess>> Start(const Account& account,
                                                        const std::string& command,
                                                        const std::string& git_protocol) = 0;
};

}  // namespace yard::ssh
