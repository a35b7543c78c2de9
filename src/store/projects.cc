#include "store/projects.h"

#include <fmt/core.h>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "p.id, p.name, p.source_kind, p.source_url, p.repo_path, p.created_at, p.created_by, "
    "p.refreshed_at, p.refresh_error";

Project ReadProject(const Statement& row) {
  return Project{
      .id = row.ColumnInt(0),
      .name = row.ColumnText(1),
      .source_kind = ParseSourceKind(row.ColumnText(2)).value_or(SourceKind::kHosted),
      .source_url = row.ColumnText(3),
      .repo_path = row.ColumnText(4),
      .created_at = row.ColumnInt(5),
      .created_by = row.ColumnInt(6),
      .refreshed_at = row.ColumnOptionalInt(7),
      .refresh_error = row.ColumnText(8),
  };
}

Result<std::vector<Project>> ReadAll(Statement& query) {
  std::vector<Project> projects;
  while (TRY(query.Step())) projects.push_back(ReadProject(query));
  return projects;
}

}  // namespace

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kRemote: return "remote";
    case SourceKind::kLocal: return "local";
    case SourceKind::kHosted: return "hosted";
  }
  return "hosted";
}

Result<SourceKind> ParseSourceKind(std::string_view name) {
  for (SourceKind kind : {SourceKind::kRemote, SourceKind::kLocal, SourceKind::kHosted}) {
    if (SourceKindName(kind) == name) return kind;
  }
  return Unexpected(ErrorCode::kInvalidArgument, fmt::format("unknown source kind '{}'", name));
}

std::string_view MemberRoleName(MemberRole role) {
  return role == MemberRole::kOwner ? "owner" : "member";
}

Result<Project> ProjectStore::Create(Project project) {
  auto transaction = TRY(db_.Begin());
  project.created_at = clock_.NowUnix();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO projects (name, source_kind, source_url, repo_path, created_at, created_by) "
      "VALUES (?, ?, ?, ?, ?, ?)"));
  Status inserted = insert
                        .BindAll(project.name, SourceKindName(project.source_kind),
                                 project.source_url, project.repo_path, project.created_at,
                                 project.created_by)
                        .Run();
  if (!inserted) {
    if (inserted.error().code == ErrorCode::kAlreadyExists) {
      return Unexpected(ErrorCode::kAlreadyExists,
                        fmt::format("project '{}' already exists", project.name));
    }
    return Unexpected(inserted.error());
  }
  project.id = db_.LastInsertRowId();
  auto member = TRY(db_.Prepare(
      "INSERT INTO project_members (project_id, user_id, role, added_at) VALUES (?, ?, ?, ?)"));
  TRY(member.BindAll(project.id, project.created_by, MemberRoleName(MemberRole::kOwner),
                     project.created_at)
          .Run());
  TRY(transaction.Commit());
  return project;
}

Result<Project> ProjectStore::FindByName(const std::string& name) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format("SELECT {} FROM projects p WHERE p.name = ?", kColumns)));
  query.Bind(1, name);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no project named '{}'", name));
  }
  return ReadProject(query);
}

Result<std::vector<Project>> ProjectStore::List() {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format("SELECT {} FROM projects p ORDER BY p.name", kColumns)));
  return ReadAll(query);
}

Result<std::vector<Project>> ProjectStore::ListForUser(int64_t user_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format(
      "SELECT {} FROM projects p JOIN project_members m ON m.project_id = p.id "
      "WHERE m.user_id = ? ORDER BY p.name",
      kColumns)));
  query.Bind(1, user_id);
  return ReadAll(query);
}

Result<std::optional<MemberRole>> ProjectStore::RoleOf(int64_t project_id, int64_t user_id) {
  auto lock = db_.Lock();
  auto query =
      TRY(db_.Prepare("SELECT role FROM project_members WHERE project_id = ? AND user_id = ?"));
  query.BindAll(project_id, user_id);
  if (!TRY(query.Step())) return std::optional<MemberRole>();
  return std::optional<MemberRole>(query.ColumnText(0) == "owner" ? MemberRole::kOwner
                                                                   : MemberRole::kMember);
}

Status ProjectStore::RecordRefresh(int64_t project_id, const std::string& error) {
  auto lock = db_.Lock();
  auto update = TRY(
      db_.Prepare("UPDATE projects SET refreshed_at = ?, refresh_error = ? WHERE id = ?"));
  return update.BindAll(clock_.NowUnix(), error, project_id).Run();
}

Status ProjectStore::Delete(int64_t project_id) {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM projects WHERE id = ?"));
  TRY(remove.Bind(1, project_id).Run());
  if (db_.Changes() == 0) return Unexpected(ErrorCode::kNotFound, "no such project");
  return Ok();
}

}  // namespace yard::store
