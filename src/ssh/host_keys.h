#pragma once

// The gateway's host keys: made on first start, kept in DATA_DIR/ssh, and the same ever
// after, so that clients' known_hosts entries stay valid across restarts and upgrades. An
// ed25519 key for current clients, an RSA one for old ones.

#include <string>
#include <vector>

#include "base/result.h"

namespace yard::ssh {

struct HostKey {
  std::string type;         // "ssh-ed25519", "ssh-rsa"
  std::string path;         // the private key, OpenSSH format, mode 0600
  std::string fingerprint;  // "SHA256:…", as ssh prints it
  std::string public_line;  // "TYPE BASE64", for known_hosts
};

/// Loads the host keys in `dir`, making each one that is missing (the directory too, 0700).
/// A key file that exists but cannot be read is an error (kFailedPrecondition naming the
/// file), never replaced: a new key would make every client warn of an attack.
Result<std::vector<HostKey>> LoadOrCreateHostKeys(const std::string& dir);

}  // namespace yard::ssh
