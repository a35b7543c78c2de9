#pragma once

// What the gateway asks of the rest of Stackyard: who owns a key, whether that user may reach
// a target, and which container serves it. The production implementation is glue in
// server/ssh_directory.cc (stores, projects, the controller's status); tests use a fake.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ssh/target.h"

namespace yard::ssh {

/// The Stackyard user a key belongs to.
struct Account {
  int64_t user_id = 0;
  std::string name;
  bool admin = false;
};

/// The container an SSH target leads to, and what a forward from it may reach.
struct Located {
  std::string service;       // the component or add-on id the session runs in
  std::string container_id;  // its running container
  /// Every service of the deployment (add-ons included) -> its container's IP on the
  /// deployment's network; services without a running container are left out.
  std::map<std::string, std::string> service_ips;
  /// Every service id of the deployment, running or not (for "unknown component" messages).
  std::vector<std::string> services;
};

class Directory {
 public:
  virtual ~Directory() = default;

  /// The owner of the key with this fingerprint ("SHA256:..."), checked against the full
  /// public key blob (base64, as in authorized_keys); nullopt for an unknown key.
  virtual Result<std::optional<Account>> FindKey(const std::string& fingerprint,
                                                 const std::string& key_type,
                                                 const std::string& key_base64) = 0;

  /// May `account` use `target` at all? Checked during authentication, before any channel.
  /// kNotFound / kPermissionDenied with a message fit for the user ("yard: ...") otherwise.
  /// For the git user: always allowed (the repository is checked per command).
  virtual Status Authorize(const Account& account, const SshTarget& target) = 0;

  /// Where a session for `target` runs right now. kNotFound (unknown component: the message
  /// lists the ids), kFailedPrecondition (stopped deployment, container not running), with a
  /// message fit for the user.
  virtual Result<Located> Locate(const Account& account, const SshTarget& target) = 0;

  /// Records that the key was used (throttled by the implementation). Never fails the login.
  virtual void KeyUsed(const std::string& fingerprint) = 0;
};

}  // namespace yard::ssh
