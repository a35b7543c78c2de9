#include "store/migrations.h"

#include <fmt/core.h>

#include "base/log.h"

namespace yard::store {

Result<int> SchemaVersion(Database& db) {
  auto lock = db.Lock();
  auto statement = TRY(db.Prepare("PRAGMA user_version"));
  if (!TRY(statement.Step())) return 0;
  return static_cast<int>(statement.ColumnInt(0));
}

Status Migrate(Database& db, std::span<const Migration> migrations) {
  int latest = migrations.empty() ? 0 : migrations.back().version;
  int current = TRY(SchemaVersion(db));
  if (current > latest) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("database {} has schema version {}, newer than this yard "
                                  "knows ({}); run a newer yard or restore a backup",
                                  db.path(), current, latest));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    auto transaction = TRY(db.Begin());
    // Re-read inside the write lock: another process may have migrated meanwhile.
    if (TRY(SchemaVersion(db)) >= migration.version) continue;
    TRY_CTX(db.Exec(migration.sql),
            fmt::format("migration {} ({})", migration.version, migration.name));
    TRY(db.Exec(fmt::format("PRAGMA user_version = {}", migration.version)));
    TRY(transaction.Commit());
    log::Info("database migrated to version {} ({})", migration.version, migration.name);
  }
  return Ok();
}

}  // namespace yard::store
