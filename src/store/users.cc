#include "store/users.h"

#include <fmt/core.h>

namespace yard::store {
namespace {

constexpr std::string_view kColumns = "id, name, role, created_at";

User ReadUser(const Statement& row) { return ReadUserColumns(row, 0); }

}  // namespace

User ReadUserColumns(const Statement& row, int first) {
  return User{
      .id = row.ColumnInt(first),
      .name = row.ColumnText(first + 1),
      .role = row.ColumnText(first + 2) == "admin" ? Role::kAdmin : Role::kUser,
      .created_at = row.ColumnInt(first + 3),
  };
}

std::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "user"; }

Result<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "user") return Role::kUser;
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("unknown role '{}' (use admin or user)", name));
}

Result<User> UserStore::Create(const std::string& name, Role role) {
  auto lock = db_.Lock();
  User user{.name = name, .role = role, .created_at = clock_.NowUnix()};
  auto insert = TRY(db_.Prepare("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)"));
  Status status = insert.BindAll(user.name, RoleName(role), user.created_at).Run();
  if (!status) {
    if (status.error().code == ErrorCode::kAlreadyExists) {
      return Unexpected(ErrorCode::kAlreadyExists, fmt::format("user '{}' already exists", name));
    }
    return Unexpected(status.error());
  }
  user.id = db_.LastInsertRowId();
  return user;
}

Result<User> UserStore::Get(int64_t id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format("SELECT {} FROM users WHERE id = ?", kColumns)));
  query.Bind(1, id);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no user with id {}", id));
  }
  return ReadUser(query);
}

Result<User> UserStore::FindByName(const std::string& name) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format("SELECT {} FROM users WHERE name = ?", kColumns)));
  query.Bind(1, name);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no user named '{}'", name));
  }
  return ReadUser(query);
}

Result<std::vector<User>> UserStore::List() {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format("SELECT {} FROM users ORDER BY name", kColumns)));
  std::vector<User> users;
  while (TRY(query.Step())) users.push_back(ReadUser(query));
  return users;
}

Result<int64_t> UserStore::Count() {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT count(*) FROM users"));
  TRY(query.Step());
  return query.ColumnInt(0);
}

Result<std::optional<std::string>> UserStore::PasswordHash(int64_t user_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT password_hash FROM users WHERE id = ?"));
  query.Bind(1, user_id);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no user with id {}", user_id));
  }
  if (query.ColumnIsNull(0)) return std::optional<std::string>();
  return std::optional<std::string>(query.ColumnText(0));
}

Status UserStore::SetPasswordHash(int64_t user_id, const std::optional<std::string>& hash) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare("UPDATE users SET password_hash = ? WHERE id = ?"));
  TRY(update.BindAll(hash, user_id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no user with id {}", user_id));
  }
  return Ok();
}

}  // namespace yard::store
