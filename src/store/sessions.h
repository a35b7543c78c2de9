#pragma once

// Browser sessions of the dashboard (migration 9): a signed-in browser holds a random secret
// in its yard_session cookie; only the secret's SHA-256 is stored, with the CSRF token the
// page sends back on every change (auth/session.h makes both).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"
#include "store/users.h"

namespace yard::store {

struct Session {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string csrf_token;
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  int64_t expires_at = 0;
  std::string remote;  // the address it signed in from
  std::string user_agent;
};

struct NewSessionRow {
  int64_t user_id = 0;
  std::string secret_hash;
  std::string csrf_token;
  int64_t expires_at = 0;
  std::string remote;
  std::string user_agent;
};

/// The sessions table. Thread-safe.
class SessionStore {
 public:
  SessionStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<Session> Create(const NewSessionRow& row);
  /// The session with this secret hash and its user. kNotFound when absent or expired.
  Result<std::pair<Session, User>> FindBySecretHash(const std::string& hash);
  /// The user's sessions that have not expired, newest first.
  Result<std::vector<Session>> ListForUser(int64_t user_id);
  /// Records that the session was used; writes at most once per `granularity_seconds`.
  Status Touch(const Session& session, int64_t granularity_seconds = 60);
  /// Ends a session (signing out). kNotFound when it is gone already.
  Status Delete(int64_t session_id);
  /// Ends every session of the user except `keep` (a password change keeps the browser that
  /// made it signed in). Returns how many ended.
  Result<int64_t> DeleteForUser(int64_t user_id, std::optional<int64_t> keep = std::nullopt);
  /// Removes expired sessions. Returns how many.
  Result<int64_t> PruneExpired();

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
