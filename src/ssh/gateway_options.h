#pragma once

// Everything the gateway can be told: where it listens, what it tells clients, and its limits.
// Every limit is an option so that tests can make them small.

#include <chrono>
#include <string>

#include "ssh/admission.h"

namespace yard::ssh {

struct GatewayOptions {
  std::string host = "127.0.0.1";  // the address to listen on
  int port = 2222;                 // 0: any free port (tests)
  std::string host_keys_dir;       // DATA_DIR/ssh

  /// Caps on connections and bans of addresses that keep failing. Per address, more
  /// connections may be authenticating at once than sshd's 10: a team behind one NAT, or an
  /// IDE and a script opening sessions in parallel, must not be turned away.
  AdmissionOptions admission{.max_unauthenticated = 128, .max_unauthenticated_per_address = 32};
  /// A connection that has not authenticated by then is cut.
  std::chrono::milliseconds login_grace{30'000};
  /// Key offers and failed signed attempts on one connection before it is cut.
  int max_key_offers = 10;
  int max_failed_logins = 3;
  /// Channels one connection may hold open at once.
  int max_channels = 64;
  /// A dial into a deployment gives up after this long.
  std::chrono::milliseconds dial_timeout{10'000};
  /// Connections still open at Stop get this long to finish before they are cut.
  std::chrono::milliseconds stop_grace{5'000};
};

}  // namespace yard::ssh
