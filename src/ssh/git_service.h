#pragma once

// Git over SSH: the `git` user's clone, fetch and push. A request names a project; the user
// must be able to see it (a member, or an admin: ProjectService::Find, the API's rule), and
// pushes go to hosted projects only. git-upload-pack or git-receive-pack then runs on the
// project's bare repository under the hardened git environment, receive-pack with Stackyard's
// hooks (git/hooks.h): the project's branch protection, and a push report from which the
// push events are recorded once the push is over.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "projects/project_service.h"
#include "projects/push_report.h"
#include "ssh/git_backend.h"
#include "store/push_events.h"
#include "store/users.h"

namespace yard::ssh {

struct GitServiceOptions {
  /// Where git::WriteHooks put the pre-receive and post-receive hooks.
  std::string hooks_dir;
  /// Where a push's report lives while receive-pack runs (created if missing); each report
  /// is removed once its events are recorded.
  std::string reports_dir;
  /// upload-pack gives up on a client silent for this long (`--timeout`).
  std::chrono::seconds upload_timeout{600};
  /// Once its output has ended, how long git may take to exit before it is killed.
  std::chrono::milliseconds exit_timeout{30'000};
  /// After a hangup, how long git gets to clean up (a receive-pack removes its quarantined
  /// objects on SIGTERM) before SIGKILL.
  std::chrono::milliseconds hangup_grace{1'000};
  /// Called once a push's ref updates are recorded (also for reports recovered at start):
  /// deployments following the pushed branches take it from here.
  projects::PushedCallback pushed;
};

/// Thread-safe: each Start makes an independent process.
class GitService final : public GitBackend {
 public:
  GitService(projects::ProjectService& projects, store::UserStore& users,
             store::PushEventStore& pushes, GitServiceOptions options)
      : projects_(projects), users_(users), pushes_(pushes), options_(std::move(options)) {}

  /// The process's stdin, stdout and stderr are separate pipes (multiplexed() is false);
  /// Resize is ignored; Hangup sends SIGTERM, and SIGKILL follows when the process is
  /// destroyed after hangup_grace. Wait() returns git's exit status and records the push
  /// events of a receive-pack (also a process destroyed without Wait records them: the refs
  /// it reported are updated whatever happens to the connection).
  Result<std::unique_ptr<SessionProcess>> Start(const Account& account, const std::string& command,
                                                const std::string& git_protocol) override;

  /// At start, before any push: records the pushes whose reports a stopped or crashed server
  /// left in reports_dir (their refs were updated; only the record was missing).
  Status RecoverReports();

 private:
  projects::ProjectService& projects_;
  store::UserStore& users_;
  store::PushEventStore& pushes_;
  GitServiceOptions options_;
};

}  // namespace yard::ssh
