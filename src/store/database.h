#pragma once

// RAII over SQLite: a connection, prepared statements, and transactions that roll back unless
// committed. SQLite's headers stay in database.cc.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace yard::store {

class Database;

/// A prepared statement. Bind parameters are 1-based, like SQLite's. Not thread-safe: use it
/// while holding the Database lock (Transaction or Database::Lock()).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, std::nullopt_t);
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : Bind(index, std::nullopt);
  }
  /// Binds all arguments in order, starting at 1.
  template <typename... Args>
  Statement& BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
    return *this;
  }

  /// Advances: true when a row is available, false when done. kAlreadyExists for a UNIQUE
  /// violation, kUnavailable when the database stayed busy, kIo otherwise.
  Result<bool> Step();
  /// Steps to completion, ignoring rows.
  Status Run();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;
  double ColumnDouble(int column) const;
  std::optional<double> ColumnOptionalDouble(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
  // The first bind failure; reported by Step so that call sites can chain Bind calls.
  std::optional<Error> bind_error_;
};

class Transaction;

/// One SQLite connection, opened in WAL mode with foreign keys on. Thread-safe in the sense
/// that callers serialise through Lock(): every statement sequence runs under it, and a
/// Transaction holds it from BEGIN to COMMIT/ROLLBACK. The mutex is recursive so that a
/// repository method can run inside a caller's transaction on the same thread.
class Database {
 public:
  /// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory
  /// database for tests.
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  std::unique_lock<std::recursive_mutex> Lock() { return std::unique_lock(mutex_); }

  /// Runs one or more statements without results (schema, pragmas).
  Status Exec(std::string_view sql);
  /// REQUIRES: the caller holds Lock() for as long as the statement is used.
  Result<Statement> Prepare(std::string_view sql);
  /// Starts an IMMEDIATE transaction (the write lock is taken up front, so it cannot fail
  /// half-way with SQLITE_BUSY), retrying while another process holds the lock. Inside an
  /// open transaction on the same thread it starts a nested one (a SAVEPOINT) instead.
  Result<Transaction> Begin();

  int64_t LastInsertRowId() const;
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int Changes() const;
  const std::string& path() const { return path_; }

 private:
  friend class Statement;
  friend class Transaction;
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error LastError(std::string_view context, int rc) const;

  sqlite3* db_;
  std::string path_;
  std::recursive_mutex mutex_;
  int transaction_depth_ = 0;  // guarded by mutex_
};

/// Holds the database lock and an open transaction; rolls back on destruction unless Commit()
/// succeeded.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  Status Commit();

 private:
  friend class Database;
  Transaction(Database* db, std::unique_lock<std::recursive_mutex> lock, int depth)
      : db_(db), lock_(std::move(lock)), depth_(depth) {}
  Database* db_;
  std::unique_lock<std::recursive_mutex> lock_;
  int depth_;  // 0 for the outermost transaction, else the savepoint's nesting level
  bool active_ = true;
};

}  // namespace yard::store
