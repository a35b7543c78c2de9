#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "store/database.h"

namespace yard::store {

/// One schema step. Versions start at 1 and increase by one; a released migration is never
/// edited, only followed by a new one.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

/// The migrations of Stackyard's own schema, in order (schema.cc).
std::span<const Migration> SchemaMigrations();

/// Brings the database to the last version in `migrations`, each step in its own transaction
/// (the schema version is PRAGMA user_version, written in the same transaction). A database
/// whose version is newer than the last migration is refused with kFailedPrecondition: it was
/// written by a newer yard and this one could corrupt it.
Status Migrate(Database& db, std::span<const Migration> migrations);

/// The database's schema version (0 for a new database).
Result<int> SchemaVersion(Database& db);

}  // namespace yard::store
