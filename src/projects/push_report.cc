#include "projects/push_report.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <stdlib.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "git/git_command.h"
#include "git/hooks.h"

namespace yard::projects {
namespace {

std::string Short(const std::string& commit) {
  return commit.empty() ? "(none)" : commit.substr(0, 12);
}

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

}  // namespace

Result<std::string> MakePushReport(const std::string& dir, const std::string& project,
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

void RecordPushReport(const PushContext& push) {
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

void RecoverPushReports(const std::string& dir, ProjectService& projects,
                        store::UserStore& users, store::PushEventStore& pushes,
                        const PushedCallback& pushed) {
  std::error_code error;
  std::filesystem::directory_iterator entries(dir, error);
  if (error) return;  // no push ever ran
  for (const auto& entry : entries) {
    std::string path = entry.path().string();
    std::string name = entry.path().filename().string();
    // push.PROJECT.USER_ID.XXXXXX (MakePushReport)
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
    auto project = named ? projects.Find(parts[1], store::User{.role = store::Role::kAdmin})
                         : Result<store::Project>(Unexpected(ErrorCode::kNotFound, "no project"));
    auto user = named ? users.Get(user_id)
                      : Result<store::User>(Unexpected(ErrorCode::kNotFound, "no user"));
    if (!project || !user) {
      log::Warn("push report {} names no project and user left: removed", path);
      (void)fs::RemoveFile(path);
      continue;
    }
    log::Info("recording the push to {} by {} that was under way when the server stopped",
              project->name, user->name);
    RecordPushReport(PushContext{.pushes = &pushes,
                                 .pushed = &pushed,
                                 .project_id = project->id,
                                 .project = project->name,
                                 .repo_path = project->repo_path,
                                 .user_id = user->id,
                                 .user_name = user->name,
                                 .report_path = path});
  }
}

}  // namespace yard::projects
