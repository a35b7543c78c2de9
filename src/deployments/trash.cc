#include "deployments/trash.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/names.h"
#include "events/kinds.h"

namespace yard::deployments {
namespace {

namespace stdfs = std::filesystem;

bool IsNumber(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// The deletion time at the end of a trash directory's name ("shop-prod-12-1800000000").
std::optional<int64_t> DeletedAtFromName(const std::string& name) {
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || !IsNumber(name.substr(dash + 1))) return std::nullopt;
  int64_t at = 0;
  auto [end, error] = std::from_chars(name.data() + dash + 1, name.data() + name.size(), at);
  if (error != std::errc()) return std::nullopt;
  return at;
}

// True when `path` lies strictly inside `dir`: a damaged row must never point a purge
// anywhere else.
bool Inside(const std::string& dir, const std::string& path) {
  stdfs::path base = stdfs::path(fs::Absolute(dir)).lexically_normal();
  stdfs::path target = stdfs::path(fs::Absolute(path)).lexically_normal();
  auto relative = target.lexically_relative(base);
  return !relative.empty() && *relative.begin() != ".." && relative != ".";
}

}  // namespace

Result<std::vector<store::TrashEntry>> Trash::List(const store::Project& project) {
  return stores_.trash.ListForProject(project.id);
}

Result<store::TrashEntry> Trash::Find(const store::Project& project,
                                     const std::string& id_or_name) {
  std::vector<store::TrashEntry> entries = TRY(stores_.trash.ListForProject(project.id));
  for (const store::TrashEntry& entry : entries) {  // newest first
    if (IsNumber(id_or_name) ? std::to_string(entry.id) == id_or_name
                             : entry.name == id_or_name) {
      return entry;
    }
  }
  std::vector<std::string> kept;
  for (const store::TrashEntry& entry : entries) {
    kept.push_back(fmt::format("{} ({})", entry.id, entry.name));
  }
  return Unexpected(ErrorCode::kNotFound,
                    fmt::format("project '{}' has no deployment '{}' in the trash{}", project.name,
                                id_or_name,
                                kept.empty() ? std::string("; the trash is empty")
                                             : fmt::format("; it holds: {}", fmt::join(kept, ", "))));
}

Result<RestoreOutcome> Trash::Restore(const store::Project& project,
                                      const std::string& id_or_name, const std::string& name,
                                      const store::User& by) {
  std::lock_guard lock(mutex_);
  store::TrashEntry entry = TRY(Find(project, id_or_name));
  std::string new_name = name.empty() ? entry.name : name;
  TRY(ValidateName(new_name, "deployment"));
  if (BeingDeleted(entry)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("deployment '{}' is still being deleted; restore it once it is "
                                  "gone",
                                  entry.name));
  }
  if (stores_.deployments.FindByName(project.id, new_name)) {
    return Unexpected(ErrorCode::kAlreadyExists,
                      fmt::format("project '{}' already has a deployment '{}'; restore this one "
                                  "under another name (\"name\")",
                                  project.name, new_name));
  }
  store::TrashSnapshot snapshot = TRY(store::ReadSnapshot(entry.snapshot));
  std::string destination = settings_.naming.DeploymentDir(project.name, new_name);
  bool has_data = fs::Exists(entry.path);
  if (has_data && fs::Exists(destination)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} exists already (left by another deployment?): move it away "
                                  "or restore under another name",
                                  destination));
  }

  RestoreOutcome outcome;
  outcome.data = has_data;
  // One transaction for the rows; the move happens inside it, so that a failed move leaves
  // nothing restored and a failed commit moves the volumes back.
  auto transaction = TRY(stores_.db.Begin());
  store::Deployment row = snapshot.deployment;
  row.project_id = project.id;
  row.name = new_name;
  row.created_by = by.id;
  row.desired = store::Desired::kRunning;
  row.phase = "creating";
  row.reason.clear();
  // A restored preview is an ordinary deployment: its branch may be gone, its expiry passed.
  row.preview_branch.reset();
  row.expires_at.reset();
  row.stop_at.reset();
  // Under its own id again: its logs, events and action output are found by it.
  row.id = entry.deployment_id;
  store::Deployment created = TRY(stores_.deployments.Recreate(row));
  TRY(stores_.deployments.AddValues(created.id, snapshot.values));
  for (const auto& [endpoint, hostname] : snapshot.domains) {
    if (stores_.domains == nullptr) {
      outcome.notes.push_back(fmt::format("domain {} was not restored: custom domains are off",
                                          hostname));
      continue;
    }
    auto added = stores_.domains->Add(created.id, endpoint, hostname);
    if (added) {
      outcome.domains.push_back(hostname);
    } else {
      outcome.notes.push_back(fmt::format("domain {} was not restored: {}", hostname,
                                          added.error().message));
    }
  }
  TRY(stores_.trash.Remove(entry.id));
  if (has_data) {
    TRY(fs::CreateDirectories(stdfs::path(destination).parent_path().string()));
    std::error_code error;
    stdfs::rename(entry.path, destination, error);
    if (error) {
      return Unexpected(ErrorCode::kIo, fmt::format("cannot move {} back to {}: {}", entry.path,
                                                    destination, error.message()));
    }
  } else {
    outcome.notes.push_back("no volumes were kept for it: it starts with empty storage");
  }
  if (Status committed = transaction.Commit(); !committed) {
    std::error_code error;
    if (has_data) stdfs::rename(destination, entry.path, error);
    return Unexpected(committed.error());
  }

  // Restored: from here on a failure to start is the deployment's, not the restore's.
  std::string not_started;
  if (auto_stop_ != nullptr) {
    auto enabled = auto_stop_->Enable(created, RunFor{});
    if (!enabled) not_started = enabled.error().message;
  } else if (Status started = service_.Start(created); !started) {
    not_started = started.error().message;
  }
  if (!not_started.empty()) {
    log::Warn("{}/{}: restored, but not started: {}", project.name, new_name, not_started);
  }
  outcome.deployment = TRY(stores_.deployments.Find(created.id));
  std::string message = fmt::format("restored from the trash (entry {}{}){}", entry.id,
                                    new_name == entry.name ? "" : ", was " + entry.name,
                                    has_data ? " with its volumes" : " without volumes");
  log::Info("{}/{}: {}", project.name, new_name, message);
  store::TrashEntry restored = entry;
  restored.name = new_name;
  Report(restored, created.id, &by, std::string(events::kDeploymentRestored), message,
         {{"trash_id", entry.id}, {"previous_id", entry.deployment_id}, {"data", has_data}});
  outcome.deployment.project = project.name;
  return outcome;
}

Status Trash::Purge(const store::TrashEntry& entry, const store::User* by) {
  std::lock_guard lock(mutex_);
  return PurgeLocked(entry, by);
}

Status Trash::PurgeLocked(const store::TrashEntry& entry, const store::User* by) {
  if (BeingDeleted(entry)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("deployment '{}' is still being deleted; purge it once it is "
                                  "gone",
                                  entry.name));
  }
  TRY(RemoveDirectory(entry.path));
  Status removed = stores_.trash.Remove(entry.id);
  if (!removed && removed.error().code != ErrorCode::kNotFound) return removed;
  if (settings_.forget) settings_.forget(entry.deployment_id);
  std::string message = by == nullptr
                            ? fmt::format("purged from the trash: kept until {}",
                                          FormatTimestamp(entry.purge_at))
                            : "purged from the trash on request";
  log::Info("{}/{}: {} (entry {})", entry.project, entry.name, message, entry.id);
  Report(entry, entry.deployment_id, by, std::string(events::kDeploymentPurged), message,
         {{"trash_id", entry.id}});
  return Ok();
}

bool Trash::BeingDeleted(const store::TrashEntry& entry) {
  auto row = stores_.deployments.Find(entry.deployment_id);
  return row && row->desired == store::Desired::kDeleted && store::Records(entry, *row);
}

Status Trash::RemoveDirectory(const std::string& path) {
  if (!fs::Exists(path)) return Ok();
  if (!Inside(settings_.trash_dir, path)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is not in the trash ({}); not removing it", path,
                                  settings_.trash_dir));
  }
  std::error_code error;
  stdfs::remove_all(path, error);
  if (error) {
    return Unexpected(ErrorCode::kIo, fmt::format("cannot remove {}: {}", path, error.message()));
  }
  return Ok();
}

Status Trash::Sweep() {
  std::lock_guard lock(mutex_);
  for (const store::TrashEntry& entry : TRY(stores_.trash.DueForPurge(clock_.NowUnix()))) {
    if (Status purged = PurgeLocked(entry, nullptr); !purged) {
      log::Warn("trash: {}/{} (entry {}): {}", entry.project, entry.name, entry.id,
                purged.error().message);
    }
  }
  SweepUntracked(TRY(stores_.trash.ListAll()));
  return Ok();
}

void Trash::SweepUntracked(const std::vector<store::TrashEntry>& entries) {
  std::error_code error;
  if (!stdfs::is_directory(settings_.trash_dir, error)) return;
  std::set<std::string> tracked;
  for (const store::TrashEntry& entry : entries) {
    tracked.insert(stdfs::path(entry.path).lexically_normal().string());
  }
  int64_t now = clock_.NowUnix();
  for (const stdfs::directory_entry& item : stdfs::directory_iterator(settings_.trash_dir, error)) {
    std::string path = item.path().lexically_normal().string();
    if (tracked.contains(path)) continue;
    std::optional<int64_t> deleted_at = DeletedAtFromName(item.path().filename().string());
    if (!deleted_at || *deleted_at + settings_.retention.count() > now) continue;
    if (Status removed = RemoveDirectory(path); !removed) {
      log::Warn("trash: {}", removed.error().message);
      continue;
    }
    log::Info("trash: removed {}, deleted at {} and not restorable (no entry)", path,
              FormatTimestamp(*deleted_at));
  }
}

void Trash::Report(const store::TrashEntry& entry, int64_t deployment_id, const store::User* by,
                   std::string kind, std::string message, nlohmann::json data) {
  if (events_ == nullptr) return;
  events::Event event{.project_id = entry.project_id,
                      .project = entry.project,
                      .deployment_id = deployment_id,
                      .deployment = entry.name,
                      .kind = std::move(kind),
                      .message = std::move(message),
                      .data = std::move(data)};
  if (by != nullptr) {
    event.actor_id = by->id;
    event.actor = by->name;
  }
  events_->Record(std::move(event));
}

}  // namespace yard::deployments
