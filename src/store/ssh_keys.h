#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

struct SshKey {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string key_type;
  std::string public_key;  // base64 blob
  std::string fingerprint;
  int bits = 0;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;  // last SSH login with it; nullopt: never
};

/// The ssh_keys table. A key (by fingerprint) belongs to at most one user, since the SSH
/// gateway identifies the user by the key. Thread-safe.
class SshKeyStore {
 public:
  SshKeyStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Stores `key` (id and created_at are assigned). kAlreadyExists when the fingerprint is
  /// registered, with a message saying whether to this user or another.
  Result<SshKey> Add(SshKey key);
  Result<std::vector<SshKey>> ListForUser(int64_t user_id);
  /// kNotFound when absent.
  Result<SshKey> FindByFingerprint(const std::string& fingerprint);
  /// Removes the user's key with this id or fingerprint; kNotFound otherwise.
  Status Remove(int64_t user_id, const std::string& id_or_fingerprint);
  /// Records a login with `key` (as read by FindByFingerprint). Writes at most once per
  /// `granularity_seconds` per key, so that a busy key does not cost a disk write per login.
  Status TouchLastUsed(const SshKey& key, int64_t granularity_seconds = 60);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
