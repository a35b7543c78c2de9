#include "store/database.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include <fmt/core.h>

#include "base/log.h"

namespace yard::store {
namespace {

// SQLite waits this long inside a call for a lock held by another connection.
constexpr int kBusyTimeoutMs = 5000;
// Begin() retries a busy BEGIN this many times on top of the busy timeout.
constexpr int kBeginAttempts = 5;

ErrorCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? ErrorCode::kAlreadyExists
                 : ErrorCode::kFailedPrecondition;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: return ErrorCode::kIo;
    default: return ErrorCode::kInternal;
  }
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(std::move(other.bind_error_)) {
  other.stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = db_->LastError("bind", rc);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = db_->LastError("bind", rc);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = db_->LastError("bind", rc);
  return *this;
}

Statement& Statement::Bind(int index, std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = db_->LastError("bind", rc);
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_error_) return Unexpected(*bind_error_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = db_->LastError("step", sqlite3_extended_errcode(db_->db_));
  sqlite3_reset(stmt_);
  return Unexpected(std::move(error));
}

Status Statement::Run() {
  while (TRY(Step())) {
  }
  return Ok();
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<int64_t> Statement::ColumnOptionalInt(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt(column);
}

double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::optional<double> Statement::ColumnOptionalDouble(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnDouble(column);
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ---- Database ----

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* handle = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close(handle);
    return Unexpected(ErrorCode::kIo, fmt::format("open database {}: {}", path, message));
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, kBusyTimeoutMs);
  std::unique_ptr<Database> db(new Database(handle, path));
  // WAL: readers never block the writer. synchronous=NORMAL is crash-safe in WAL mode (the
  // database cannot be corrupted); a power cut may lose the last transactions, not integrity.
  TRY_CTX(db->Exec("PRAGMA journal_mode=WAL;"
                   "PRAGMA synchronous=NORMAL;"
                   "PRAGMA foreign_keys=ON;"),
          "configure database " + path);
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

Error Database::LastError(std::string_view context, int rc) const {
  return Error{CodeFor(rc), fmt::format("sqlite {}: {}", context, sqlite3_errmsg(db_))};
}

Status Database::Exec(std::string_view sql) {
  auto lock = Lock();
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return Unexpected(CodeFor(sqlite3_extended_errcode(db_)), "sqlite exec: " + detail);
  }
  return Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Unexpected(LastError("prepare", rc));
  return Statement(this, stmt);
}

Result<Transaction> Database::Begin() {
  auto lock = Lock();
  int depth = transaction_depth_;
  if (depth > 0) {
    TRY(Exec(fmt::format("SAVEPOINT sp{}", depth)));
  } else {
    for (int attempt = 1;; ++attempt) {
      Status status = Exec("BEGIN IMMEDIATE");
      if (status) break;
      if (status.error().code != ErrorCode::kUnavailable || attempt == kBeginAttempts) {
        return Unexpected(status.error().WithContext("begin transaction"));
      }
      log::Warn("database {} is busy; retrying (attempt {})", path_, attempt);
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    }
  }
  ++transaction_depth_;
  return Transaction(this, std::move(lock), depth);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

// ---- Transaction ----

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), lock_(std::move(other.lock_)), depth_(other.depth_), active_(other.active_) {
  other.active_ = false;
}

Transaction::~Transaction() {
  if (!active_) return;
  Status status = depth_ == 0 ? db_->Exec("ROLLBACK")
                              : db_->Exec(fmt::format("ROLLBACK TO sp{0}; RELEASE sp{0}", depth_));
  if (!status) log::Error("rollback failed: {}", status.error().message);
  --db_->transaction_depth_;
}

Status Transaction::Commit() {
  if (!active_) return Unexpected(ErrorCode::kInternal, "transaction already finished");
  Status status = depth_ == 0 ? db_->Exec("COMMIT") : db_->Exec(fmt::format("RELEASE sp{}", depth_));
  if (!status) return status;  // still active: the destructor rolls back
  active_ = false;
  --db_->transaction_depth_;
  return Ok();
}

}  // namespace yard::store
