#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"
#include "store/users.h"

namespace yard::store {

/// A stored API token: only the hash of its secret is kept (auth/token.h makes both).
struct ApiToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string prefix;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> expires_at;
};

/// The api_tokens table. Thread-safe.
class ApiTokenStore {
 public:
  ApiTokenStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<ApiToken> Create(int64_t user_id, const std::string& name, const std::string& hash,
                          const std::string& prefix, std::optional<int64_t> expires_at);
  /// The token with this hash and its user. kNotFound when absent or expired.
  Result<std::pair<ApiToken, User>> FindByHash(const std::string& hash);
  Result<std::vector<ApiToken>> ListForUser(int64_t user_id);
  /// kNotFound unless the token exists and belongs to `user_id`.
  Status Revoke(int64_t user_id, int64_t token_id);
  /// Records a use. Writes at most once per `granularity_seconds` per token, so that
  /// authenticating a request does not cost a disk write.
  Status Touch(const ApiToken& token, int64_t granularity_seconds = 60);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
