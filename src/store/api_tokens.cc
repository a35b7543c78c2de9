#include "store/api_tokens.h"

#include <fmt/core.h>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "t.id, t.user_id, t.name, t.prefix, t.created_at, t.last_used_at, t.expires_at";

ApiToken ReadToken(const Statement& row) {
  return ApiToken{
      .id = row.ColumnInt(0),
      .user_id = row.ColumnInt(1),
      .name = row.ColumnText(2),
      .prefix = row.ColumnText(3),
      .created_at = row.ColumnInt(4),
      .last_used_at = row.ColumnOptionalInt(5),
      .expires_at = row.ColumnOptionalInt(6),
  };
}

}  // namespace

Result<ApiToken> ApiTokenStore::Create(int64_t user_id, const std::string& name,
                                       const std::string& hash, const std::string& prefix,
                                       std::optional<int64_t> expires_at) {
  auto lock = db_.Lock();
  ApiToken token{.user_id = user_id,
                 .name = name,
                 .prefix = prefix,
                 .created_at = clock_.NowUnix(),
                 .expires_at = expires_at};
  auto insert = TRY(db_.Prepare(
      "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)"));
  TRY(insert.BindAll(user_id, name, hash, prefix, token.created_at, expires_at).Run());
  token.id = db_.LastInsertRowId();
  return token;
}

Result<std::pair<ApiToken, User>> ApiTokenStore::FindByHash(const std::string& hash) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format(
      "SELECT {}, u.id, u.name, u.role, u.created_at FROM api_tokens t "
      "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
      kColumns)));
  query.Bind(1, hash);
  if (!TRY(query.Step())) return Unexpected(ErrorCode::kNotFound, "unknown token");
  ApiToken token = ReadToken(query);
  if (token.expires_at && *token.expires_at <= clock_.NowUnix()) {
    return Unexpected(ErrorCode::kNotFound, "token expired");
  }
  User user = ReadUserColumns(query, 7);
  return std::pair{std::move(token), std::move(user)};
}

Result<std::vector<ApiToken>> ApiTokenStore::ListForUser(int64_t user_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      fmt::format("SELECT {} FROM api_tokens t WHERE t.user_id = ? ORDER BY t.id", kColumns)));
  query.Bind(1, user_id);
  std::vector<ApiToken> tokens;
  while (TRY(query.Step())) tokens.push_back(ReadToken(query));
  return tokens;
}

Status ApiTokenStore::Revoke(int64_t user_id, int64_t token_id) {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM api_tokens WHERE id = ? AND user_id = ?"));
  TRY(remove.BindAll(token_id, user_id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no token with id {}", token_id));
  }
  return Ok();
}

Status ApiTokenStore::Touch(const ApiToken& token, int64_t granularity_seconds) {
  int64_t now = clock_.NowUnix();
  if (token.last_used_at && now - *token.last_used_at < granularity_seconds) return Ok();
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"));
  return update.BindAll(now, token.id).Run();
}

}  // namespace yard::store
