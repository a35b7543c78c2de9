#pragma once

#include <cstdint>
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

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
