#include "store/ssh_keys.h"

#include <charconv>

#include <fmt/core.h>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "id, user_id, name, key_type, public_key, fingerprint, bits, created_at, last_used_at";

SshKey ReadKey(const Statement& row) {
  return SshKey{
      .id = row.ColumnInt(0),
      .user_id = row.ColumnInt(1),
      .name = row.ColumnText(2),
      .key_type = row.ColumnText(3),
      .public_key = row.ColumnText(4),
      .fingerprint = row.ColumnText(5),
      .bits = static_cast<int>(row.ColumnInt(6)),
      .created_at = row.ColumnInt(7),
      .last_used_at = row.ColumnOptionalInt(8),
  };
}

}  // namespace

Result<SshKey> SshKeyStore::Add(SshKey key) {
  auto transaction = TRY(db_.Begin());
  auto existing = FindByFingerprint(key.fingerprint);
  if (existing) {
    return Unexpected(ErrorCode::kAlreadyExists,
                      existing->user_id == key.user_id
                          ? fmt::format("key {} is already in your profile (as '{}')",
                                        key.fingerprint, existing->name)
                          : fmt::format("key {} is already registered to another user; "
                                        "each key can identify one user only",
                                        key.fingerprint));
  }
  if (existing.error().code != ErrorCode::kNotFound) return Unexpected(existing.error());
  key.created_at = clock_.NowUnix();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO ssh_keys (user_id, name, key_type, public_key, fingerprint, bits, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert
          .BindAll(key.user_id, key.name, key.key_type, key.public_key, key.fingerprint,
                   key.bits, key.created_at)
          .Run());
  key.id = db_.LastInsertRowId();
  TRY(transaction.Commit());
  return key;
}

Result<std::vector<SshKey>> SshKeyStore::ListForUser(int64_t user_id) {
  auto lock = db_.Lock();
  auto query = TRY(
      db_.Prepare(fmt::format("SELECT {} FROM ssh_keys WHERE user_id = ? ORDER BY id", kColumns)));
  query.Bind(1, user_id);
  std::vector<SshKey> keys;
  while (TRY(query.Step())) keys.push_back(ReadKey(query));
  return keys;
}

Result<SshKey> SshKeyStore::FindByFingerprint(const std::string& fingerprint) {
  auto lock = db_.Lock();
  auto query =
      TRY(db_.Prepare(fmt::format("SELECT {} FROM ssh_keys WHERE fingerprint = ?", kColumns)));
  query.Bind(1, fingerprint);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no key {}", fingerprint));
  }
  return ReadKey(query);
}

Status SshKeyStore::Remove(int64_t user_id, const std::string& id_or_fingerprint) {
  auto lock = db_.Lock();
  int64_t id = 0;
  const char* end = id_or_fingerprint.data() + id_or_fingerprint.size();
  bool is_id = !id_or_fingerprint.empty() &&
               std::from_chars(id_or_fingerprint.data(), end, id).ptr == end;
  auto remove = TRY(db_.Prepare(is_id ? "DELETE FROM ssh_keys WHERE user_id = ? AND id = ?"
                                      : "DELETE FROM ssh_keys WHERE user_id = ? AND fingerprint = ?"));
  remove.Bind(1, user_id);
  if (is_id) {
    remove.Bind(2, id);
  } else {
    remove.Bind(2, id_or_fingerprint);
  }
  TRY(remove.Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("no key '{}' in your profile", id_or_fingerprint));
  }
  return Ok();
}

Status SshKeyStore::TouchLastUsed(const SshKey& key, int64_t granularity_seconds) {
  int64_t now = clock_.NowUnix();
  if (key.last_used_at && now - *key.last_used_at < granularity_seconds) return Ok();
  auto lock = db_.Lock();
  // The condition again in SQL: logins on several connections at once may all have read the
  // same old value; only the first of them writes.
  auto update = TRY(db_.Prepare(
      "UPDATE ssh_keys SET last_used_at = ? WHERE id = ? "
      "AND (last_used_at IS NULL OR last_used_at <= ?)"));
  return update.BindAll(now, key.id, now - granularity_seconds).Run();
}

}  // namespace yard::store
