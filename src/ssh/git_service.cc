#include "ssh/git_service.h"

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "base/piped_process.h"
#include "git/git_command.h"
#include "git/hooks.h"
#include "git/remote_url.h"
#include "git/service_command.h"
#include "projects/push_report.h"

namespace yard::ssh {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Once SIGKILL is sent, reaping takes no longer than the kernel needs to tear a process down.
constexpr milliseconds kReapTimeout{10'000};

class GitSession final : public SessionProcess {
 public:
  GitSession(PipedProcess process, std::optional<projects::PushContext> push,
             const GitServiceOptions& options)
      : process_(std::move(process)), push_(std::move(push)), options_(options) {}

  ~GitSession() override {
    if (process_.Running()) {
      if (!hangup_at_) Hangup();
      auto left =
          std::chrono::ceil<milliseconds>(*hangup_at_ + options_.hangup_grace - SteadyClock::now());
      if (left.count() <= 0 || !process_.Wait(left)) {
        process_.Kill(SIGKILL);
        (void)process_.Wait(kReapTimeout);
      }
    }
    RecordPushes();
  }

  int stdin_fd() const override { return process_.stdin_fd(); }
  int stdout_fd() const override { return process_.stdout_fd(); }
  int stderr_fd() const override { return process_.stderr_fd(); }
  bool multiplexed() const override { return false; }

  void CloseStdin() override { process_.CloseStdin(); }
  void Resize(int, int) override {}
  Status Signal(int signal) override {
    process_.Kill(signal);
    return Ok();
  }

  Result<int> Wait() override {
    Result<int> status = process_.Wait(options_.exit_timeout);
    if (!status && status.error().code == ErrorCode::kTimeout) {
      log::Warn("git (pid {}) still runs {} ms after its output ended; killing it", process_.pid(),
                options_.exit_timeout.count());
      process_.Kill(SIGKILL);
      status = process_.Wait(kReapTimeout);
    }
    RecordPushes();
    return status;
  }

  void Hangup() override {
    if (hangup_at_) return;
    hangup_at_ = SteadyClock::now();
    process_.Kill(SIGTERM);
  }

 private:
  void RecordPushes() {
    if (!push_ || recorded_) return;
    recorded_ = true;
    projects::RecordPushReport(*push_);
  }

  PipedProcess process_;
  std::optional<projects::PushContext> push_;
  GitServiceOptions options_;
  std::optional<SteadyClock::time_point> hangup_at_;
  bool recorded_ = false;
};

}  // namespace

Result<std::unique_ptr<SessionProcess>> GitService::Start(const Account& account,
                                                          const std::string& command,
                                                          const std::string& git_protocol) {
  git::GitServiceCommand request = TRY(git::ParseGitServiceCommand(command));
  auto user = users_.Get(account.user_id);
  if (!user) {
    if (user.error().code != ErrorCode::kNotFound) return Unexpected(user.error());
    return Unexpected(ErrorCode::kPermissionDenied, "yard: your account no longer exists");
  }
  auto project = projects_.Find(request.project, *user);
  if (!project) {
    if (project.error().code != ErrorCode::kNotFound) return Unexpected(project.error());
    // The same words whether the project is missing or out of reach: names are not probed.
    return Unexpected(
        ErrorCode::kNotFound,
        fmt::format("yard: no project named '{}', or you are not a member of it", request.project));
  }
  bool push = request.service == git::GitService::kReceivePack;
  if (push && project->source_kind != store::SourceKind::kHosted) {
    return Unexpected(
        ErrorCode::kFailedPrecondition,
        fmt::format("yard: project {} mirrors {}: push there, then `yard projects "
                    "refresh {}`",
                    project->name, git::RedactUrl(project->source_url), project->name));
  }

  ProcessOptions options;
  options.env = git::GitEnvironment();
  options.clear_env = true;
  if (git::IsGitProtocolRequest(git_protocol)) options.env["GIT_PROTOCOL"] = git_protocol;
  std::optional<projects::PushContext> context;
  if (push) {
    context = projects::PushContext{.pushes = &pushes_,
                          .pushed = &options_.pushed,
                          .project_id = project->id,
                          .project = project->name,
                          .repo_path = project->repo_path,
                          .user_id = user->id,
                          .user_name = user->name,
                          .report_path = TRY(projects::MakePushReport(options_.reports_dir, project->name,
                                                            user->id))};
    git::BranchProtection protection{.patterns = project->protected_branches,
                                     .deny_force_push = project->deny_force_push,
                                     .deny_delete = project->deny_delete};
    for (auto& [name, value] : git::ProtectionEnvironment(protection, project->name)) {
      options.env[name] = value;
    }
    options.env[git::kPushReportVariable] = context->report_path;
    // Command-line config beats the repository's own: no hooks but ours can run.
    options.argv = git::GitArgv({.args = {"-c", "core.hooksPath=" + options_.hooks_dir,
                                          "receive-pack", project->repo_path}});
  } else {
    options.argv =
        git::GitArgv({.args = {"upload-pack", "--strict",
                               fmt::format("--timeout={}", options_.upload_timeout.count()),
                               project->repo_path}});
  }
  auto process = PipedProcess::Start(options);
  if (!process) {
    if (context) (void)fs::RemoveFile(context->report_path);
    return Unexpected(process.error());
  }
  log::Debug("git {} {} for {} (pid {})", git::GitServiceName(request.service), project->name,
             user->name, process->pid());
  return std::unique_ptr<SessionProcess>(
      std::make_unique<GitSession>(std::move(*process), std::move(context), options_));
}

Status GitService::RecoverReports() {
  projects::RecoverPushReports(options_.reports_dir, projects_, users_, pushes_, options_.pushed);
  return Ok();
}

}  // namespace yard::ssh
