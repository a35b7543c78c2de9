#include "store/projects.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "p.id, p.name, p.source_kind, p.source_url, p.repo_path, p.created_at, p.created_by, "
    "p.refreshed_at, p.refresh_error, p.protected_branches, p.deny_force_push, p.deny_delete, "
    "p.preview_pattern, p.preview_stage, p.preview_ttl_seconds";

// Written by SetProtection only; anything unreadable reads as no protection rather than
// making the project unreadable.
std::vector<std::string> ParseBranchList(const std::string& text) {
  nlohmann::json list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> branches;
  if (!list.is_array()) return branches;
  for (const auto& item : list) {
    if (item.is_string()) branches.push_back(item.get<std::string>());
  }
  return branches;
}

MemberRole RoleFromText(const std::string& text) {
  return text == "owner" ? MemberRole::kOwner : MemberRole::kMember;
}

// Owners are counted inside the caller's transaction, so that two concurrent demotions cannot
// both see a second owner.
Result<int64_t> CountOwners(Database& db, int64_t project_id) {
  auto count = TRY(db.Prepare(
      "SELECT COUNT(*) FROM project_members WHERE project_id = ? AND role = 'owner'"));
  count.Bind(1, project_id);
  TRY(count.Step());
  return count.ColumnInt(0);
}

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
      .protected_branches = ParseBranchList(row.ColumnText(9)),
      .deny_force_push = row.ColumnInt(10) != 0,
      .deny_delete = row.ColumnInt(11) != 0,
      .preview_pattern = row.ColumnText(12),
      .preview_stage = row.ColumnText(13),
      .preview_ttl_seconds = row.ColumnInt(14),
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

Result<MemberRole> ParseMemberRole(std::string_view name) {
  for (MemberRole role : {MemberRole::kOwner, MemberRole::kMember}) {
    if (MemberRoleName(role) == name) return role;
  }
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("unknown project role '{}' (owner or member)", name));
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

Result<Project> ProjectStore::Find(int64_t id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format("SELECT {} FROM projects p WHERE p.id = ?", kColumns)));
  query.BindAll(id);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("project {} not found", id));
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
  return std::optional<MemberRole>(RoleFromText(query.ColumnText(0)));
}

Result<bool> ProjectStore::AddMember(int64_t project_id, int64_t user_id, MemberRole role) {
  auto transaction = TRY(db_.Begin());
  std::optional<MemberRole> current = TRY(RoleOf(project_id, user_id));
  if (current == role) return false;
  if (current) {
    if (*current == MemberRole::kOwner && TRY(CountOwners(db_, project_id)) <= 1) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        "this is the project's last owner; make someone else an owner first");
    }
    auto update = TRY(db_.Prepare(
        "UPDATE project_members SET role = ? WHERE project_id = ? AND user_id = ?"));
    TRY(update.BindAll(MemberRoleName(role), project_id, user_id).Run());
  } else {
    auto insert = TRY(db_.Prepare(
        "INSERT INTO project_members (project_id, user_id, role, added_at) VALUES (?, ?, ?, ?)"));
    TRY(insert.BindAll(project_id, user_id, MemberRoleName(role), clock_.NowUnix()).Run());
  }
  TRY(transaction.Commit());
  return !current.has_value();
}

Status ProjectStore::RemoveMember(int64_t project_id, int64_t user_id) {
  auto transaction = TRY(db_.Begin());
  std::optional<MemberRole> current = TRY(RoleOf(project_id, user_id));
  if (!current) return Unexpected(ErrorCode::kNotFound, "not a member of the project");
  if (*current == MemberRole::kOwner && TRY(CountOwners(db_, project_id)) <= 1) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "this is the project's last owner; make someone else an owner first");
  }
  auto remove =
      TRY(db_.Prepare("DELETE FROM project_members WHERE project_id = ? AND user_id = ?"));
  TRY(remove.BindAll(project_id, user_id).Run());
  return transaction.Commit();
}

Result<std::vector<Member>> ProjectStore::ListMembers(int64_t project_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      "SELECT m.user_id, u.name, m.role, m.added_at FROM project_members m "
      "JOIN users u ON u.id = m.user_id WHERE m.project_id = ? "
      "ORDER BY m.role = 'owner' DESC, u.name"));
  query.Bind(1, project_id);
  std::vector<Member> members;
  while (TRY(query.Step())) {
    members.push_back(Member{.user_id = query.ColumnInt(0),
                             .user_name = query.ColumnText(1),
                             .role = RoleFromText(query.ColumnText(2)),
                             .added_at = query.ColumnInt(3)});
  }
  return members;
}

Status ProjectStore::SetProtection(int64_t project_id,
                                   const std::vector<std::string>& protected_branches,
                                   bool deny_force_push, bool deny_delete) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      "UPDATE projects SET protected_branches = ?, deny_force_push = ?, deny_delete = ? "
      "WHERE id = ?"));
  TRY(update
          .BindAll(nlohmann::json(protected_branches).dump(), deny_force_push ? 1 : 0,
                   deny_delete ? 1 : 0, project_id)
          .Run());
  if (db_.Changes() == 0) return Unexpected(ErrorCode::kNotFound, "no such project");
  return Ok();
}

Status ProjectStore::SetPreviews(int64_t project_id, const std::string& pattern,
                                 const std::string& stage, int64_t ttl_seconds) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      "UPDATE projects SET preview_pattern = ?, preview_stage = ?, preview_ttl_seconds = ? "
      "WHERE id = ?"));
  TRY(update.BindAll(pattern, stage, ttl_seconds, project_id).Run());
  if (db_.Changes() == 0) return Unexpected(ErrorCode::kNotFound, "no such project");
  return Ok();
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
