#pragma once

// Parsing and fingerprinting of OpenSSH public keys (one line of authorized_keys / *.pub).

#include <string>
#include <string_view>

#include <libssh/libssh.h>

#include "base/result.h"

namespace yard::auth {

struct SshPublicKey {
  std::string type;         // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ...
  std::string base64;       // the key blob, as written in the line
  std::string comment;      // the rest of the line, often user@host
  int bits = 0;             // 256 for ed25519, the curve size for ECDSA, modulus bits for RSA
  std::string fingerprint;  // "SHA256:..." exactly as `ssh-keygen -lf` prints it

  /// "type base64 comment", the authorized_keys form.
  std::string ToLine() const;
};

/// The smallest RSA modulus accepted.
inline constexpr int kMinRsaBits = 2048;

/// Parses a public key line. Accepts ed25519, ECDSA (P-256, P-384, P-521) and RSA of at least
/// kMinRsaBits bits. Every rejection is kInvalidArgument with a message saying what is wrong
/// (a private key, a DSA or too short RSA key, a certificate, a corrupt blob, ...).
Result<SshPublicKey> ParseSshPublicKey(std::string_view line);

/// "SHA256:..." of a libssh key (public or private), exactly as `ssh-keygen -lf` prints it.
Result<std::string> KeyFingerprint(ssh_key key);

}  // namespace yard::auth
