#include "ssh/git_service.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "base/piped_process.h"
#include "git/git_command.h"
#include "git/hooks.h"
#include "git/remote_url.h"
#include "git/service_command.h"

namespace yard::ssh {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Once SIGKILL is sent, reaping takes no longer than the kernel needs to tear a process down.
constexpr milliseconds kReapTimeout{10'000};

// The client's GIT_PROTOCOL goes into git's environment: only the one form git sends.
bool IsGitProtocol(std::string_view value) {
  constexpr std::string_view kPrefix = "version=";
  if (!value.starts_with(kPrefix) || value.size() == kPrefix.size() || value.size() > 12) {
    return false;
  }
  return value.substr(kPrefix.size()).find_first_not_of("0123456789") == std::string_view::npos;
}

std::string Short(const std::string& commit) {
  return commit.empty() ? "(none)" : commit.substr(0, 12);
}

// What a receive-pack needs to record its push afterwards.
struct PushContext {
  store::PushEventStore* pushes = nullptr;
  const std::function<void(int64_t project_id, int64_t user_id)>* pushed = nullptr;
  int64_t project_id = 0;
  std::string project;
  std::string repo_path;
  int64_t user_id = 0;
  std::string user_name;
  std::string report_path;
};

// Whether a ref update rewrote history. Runs after receive-pack has exited: the old commit is
// still in the repository (nothing prunes it that soon).
bool WasForced(const PushContext& push, const git::RefUpdate& update) {
  if (update.created() || update.deleted()) return false;
  auto result =
      git::RunGit({.args = {"merge-base", "--is-ancestor", update.old_commit, update.new_commit},
                   .git_dir = push.repo_path});
  if (result && result->exit_code == 0) return false;
  if (result && result->exit_code == 1 && !result->timed_out) return true;
  log::Warn("push to {}: cannot tell whether {} was forced: {}", push.project, update.ref,
            result ? git::SummarizeStderr(result->stderr_data) : result.error().message);
  return false;
}

// Records what post-receive reported, whatever git's exit status: the report lists only refs
// that git has already updated, so they were pushed even if the connection broke afterwards.
// A line cut short by a killed hook is skipped. The report is removed.
void RecordReport(const PushContext& push) {
  auto report = fs::ReadFile(push.report_path);
  if (Status removed = fs::RemoveFile(push.report_path); !removed) {
    log::Warn("{}", removed.error().message);
  }
  if (!report) {
    log::Warn("push to {}: cannot read its report: {}", push.project, report.error().message);
    return;
  }
  std::vector<store::PushEvent> events;
  for (const git::RefUpdate& update : git::ParseRefUpdates(*report)) {
    events.push_back(store::PushEvent{.project_id = push.project_id,
                                      .user_id = push.user_id,
                                      .ref = update.ref,
                                      .old_commit = update.created() ? "" : update.old_commit,
                                      .new_commit = update.deleted() ? "" : update.new_commit,
                                      .forced = WasForced(push, update)});
  }
  if (events.empty()) return;
  auto recorded = push.pushes->Record(events);
  if (!recorded) {
    log::Error("push to {} by {}: cannot record it: {}", push.project, push.user_name,
               recorded.error().message);
    return;
  }
  for (const store::PushEvent& event : *recorded) {
    log::Info("push to {} by {}: {} {} -> {}{}", push.project, push.user_name, event.ref,
              Short(event.old_commit), Short(event.new_commit), event.forced ? " (forced)" : "");
  }
  if (push.pushed != nullptr && *push.pushed) (*push.pushed)(push.project_id, push.user_id);
}


class GitSession final : public SessionProcess {
 public:
  GitSession(PipedProcess process, std::optional<PushContext> push,
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
    RecordReport(*push_);
  }

  PipedProcess process_;
  std::optional<PushContext> push_;
  GitServiceOptions options_;
  std::optional<SteadyClock::time_point> hangup_at_;
  bool recorded_ = false;
};

// An empty file with a name of its own for one push's report: "push.PROJECT.USER_ID.XXXXXX",
// so that a report left by a crash still says whose push it was (names hold no dots).
Result<std::string> MakeReportFile(const std::string& dir, const std::string& project,
                                   int64_t user_id) {
  TRY(fs::CreateDirectories(dir, 0700));
  std::string path = fs::Join(dir, fmt::format("push.{}.{}.XXXXXX", project, user_id));
  int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) {
    return Unexpected(ErrorCode::kIo, fmt::format("cannot create a push report in {}", dir));
  }
  ::close(fd);
  return path;
}

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
  if (IsGitProtocol(git_protocol)) options.env["GIT_PROTOCOL"] = git_protocol;
  std::optional<PushContext> context;
  if (push) {
    context = PushContext{.pushes = &pushes_,
                          .pushed = &options_.pushed,
                          .project_id = project->id,
                          .project = project->name,
                          .repo_path = project->repo_path,
                          .user_id = user->id,
                          .user_name = user->name,
                          .report_path = TRY(MakeReportFile(options_.reports_dir, project->name,
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
  std::error_code error;
  std::filesystem::directory_iterator entries(options_.reports_dir, error);
  if (error) return Ok();  // no push ever ran
  for (const auto& entry : entries) {
    std::string path = entry.path().string();
    std::string name = entry.path().filename().string();
    // push.PROJECT.USER_ID.XXXXXX (MakeReportFile)
    std::vector<std::string> parts;
    for (size_t start = 0, dot; start <= name.size(); start = dot + 1) {
      dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      parts.push_back(name.substr(start, dot - start));
    }
    int64_t user_id = 0;
    bool named = parts.size() == 4 && parts[0] == "push" &&
                 std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), user_id).ec ==
                     std::errc();
    auto project = named ? projects_.Find(parts[1], store::User{.role = store::Role::kAdmin})
                         : Result<store::Project>(Unexpected(ErrorCode::kNotFound, "no project"));
    auto user = named ? users_.Get(user_id)
                      : Result<store::User>(Unexpected(ErrorCode::kNotFound, "no user"));
    if (!project || !user) {
      log::Warn("push report {} names no project and user left: removed", path);
      (void)fs::RemoveFile(path);
      continue;
    }
    log::Info("recording the push to {} by {} that was under way when the server stopped",
              project->name, user->name);
    RecordReport(PushContext{.pushes = &pushes_,
                             .pushed = &options_.pushed,
                             .project_id = project->id,
                             .project = project->name,
                             .repo_path = project->repo_path,
                             .user_id = user->id,
                             .user_name = user->name,
                             .report_path = path});
  }
  return Ok();
}

}  // namespace yard::ssh
