#include "store/sessions.h"

#include <fmt/core.h>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.remote, "
    "s.user_agent";
constexpr int kColumnCount = 8;

Session ReadSession(const Statement& row) {
  return Session{
      .id = row.ColumnInt(0),
      .user_id = row.ColumnInt(1),
      .csrf_token = row.ColumnText(2),
      .created_at = row.ColumnInt(3),
      .last_seen_at = row.ColumnInt(4),
      .expires_at = row.ColumnInt(5),
      .remote = row.ColumnText(6),
      .user_agent = row.ColumnText(7),
  };
}

}  // namespace

Result<Session> SessionStore::Create(const NewSessionRow& row) {
  auto lock = db_.Lock();
  int64_t now = clock_.NowUnix();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO sessions (user_id, secret_hash, csrf_token, created_at, last_seen_at, "
      "expires_at, remote, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert
          .BindAll(row.user_id, row.secret_hash, row.csrf_token, now, now, row.expires_at,
                   row.remote, row.user_agent)
          .Run());
  return Session{.id = db_.LastInsertRowId(),
                 .user_id = row.user_id,
                 .csrf_token = row.csrf_token,
                 .created_at = now,
                 .last_seen_at = now,
                 .expires_at = row.expires_at,
                 .remote = row.remote,
                 .user_agent = row.user_agent};
}

Result<std::pair<Session, User>> SessionStore::FindBySecretHash(const std::string& hash) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      fmt::format("SELECT {}, u.id, u.name, u.role, u.created_at FROM sessions s "
                  "JOIN users u ON u.id = s.user_id WHERE s.secret_hash = ? AND s.expires_at > ?",
                  kColumns)));
  query.BindAll(hash, clock_.NowUnix());
  if (!TRY(query.Step())) return Unexpected(ErrorCode::kNotFound, "no such session");
  return std::pair{ReadSession(query), ReadUserColumns(query, kColumnCount)};
}

Result<std::vector<Session>> SessionStore::ListForUser(int64_t user_id) {
  auto lock = db_.Lock();
  auto query = TRY(
      db_.Prepare(fmt::format("SELECT {} FROM sessions s WHERE s.user_id = ? AND s.expires_at > ? "
                              "ORDER BY s.created_at DESC, s.id DESC",
                              kColumns)));
  query.BindAll(user_id, clock_.NowUnix());
  std::vector<Session> sessions;
  while (TRY(query.Step())) sessions.push_back(ReadSession(query));
  return sessions;
}

Status SessionStore::Touch(const Session& session, int64_t granularity_seconds) {
  int64_t now = clock_.NowUnix();
  if (now - session.last_seen_at < granularity_seconds) return Ok();
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare("UPDATE sessions SET last_seen_at = ? WHERE id = ?"));
  return update.BindAll(now, session.id).Run();
}

Status SessionStore::Delete(int64_t session_id) {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM sessions WHERE id = ?"));
  TRY(remove.BindAll(session_id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no session with id {}", session_id));
  }
  return Ok();
}

Result<int64_t> SessionStore::DeleteForUser(int64_t user_id, std::optional<int64_t> keep) {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?"));
  TRY(remove.BindAll(user_id, keep).Run());
  return static_cast<int64_t>(db_.Changes());
}

Result<int64_t> SessionStore::PruneExpired() {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM sessions WHERE expires_at <= ?"));
  TRY(remove.BindAll(clock_.NowUnix()).Run());
  return static_cast<int64_t>(db_.Changes());
}

}  // namespace yard::store
