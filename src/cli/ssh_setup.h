#pragma once

// What `yard ssh` and `yard ssh-config` prepare on the client before OpenSSH takes over: the
// gateway's host keys in a known_hosts file of their own (so that the first connection is
// already verified, and the user's ~/.ssh/known_hosts is left alone), and a check that one of
// the user's local keys is registered, since OpenSSH only says "Permission denied
// (publickey)". Pure; ssh_commands.cc does the I/O.

#include <string>
#include <string_view>
#include <vector>

#include "ssh/command_line.h"

namespace yard::cli {

/// `existing` (a known_hosts file's text) with every line for `address` replaced by one line
/// per key in `host_keys` ("ssh-ed25519 AAAA..."); other lines and comments are kept as they
/// are. Lines for the address that name several hosts ("a,b") are kept: they are not ours.
std::string MergeKnownHosts(std::string_view existing, const ssh::SshAddress& address,
                            const std::vector<std::string>& host_keys);

/// Whether the user's local keys can log in, from their fingerprints ("SHA256:...") and
/// those registered with the server.
struct KeyCheck {
  enum class Verdict {
    kOk,          // a local key is registered
    kNoneLocal,   // no local key found: ssh may still find one (IdentityFile); a warning
    kUnmatched,   // local keys, none registered: a warning (the key may live elsewhere)
    kNoneServer,  // nothing registered: no login can work; an error
  };
  Verdict verdict = Verdict::kOk;
  /// What to tell the user; empty for kOk.
  std::string message;
};

KeyCheck CheckKeys(const std::vector<std::string>& local_fingerprints,
                   const std::vector<std::string>& registered_fingerprints);

}  // namespace yard::cli
