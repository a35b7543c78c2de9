#pragma once

// Where a direct-tcpip request (ssh -L, ssh -W, an IDE's port forward) may go. Forwards start
// inside the session's container, so they reach exactly what that container reaches, and no
// further: its own loopback, and the services of its own deployment by id. Every other
// name, every IP literal and other deployments' services are refused, so that the gateway
// never becomes a way into the host's or anyone else's network.

#include <string>
#include <string_view>
#include <variant>

#include "ssh/directory.h"

namespace yard::ssh {

/// The container's own loopback: `localhost` and 127.0.0.1 give 127.0.0.1, ::1 gives ::1.
struct LocalPortForward {
  std::string ip;
  int port = 0;
  bool operator==(const LocalPortForward&) const = default;
};

/// A service of the deployment, by its container's IP on the deployment's network.
struct ServiceForward {
  std::string id;
  std::string ip;
  int port = 0;
  bool operator==(const ServiceForward&) const = default;
};

/// Refused: `text` says why and what is allowed, for the log (OpenSSH clients show only
/// "administratively prohibited").
struct ForwardRefusal {
  std::string text;
  bool operator==(const ForwardRefusal&) const = default;
};

using ForwardTarget = std::variant<LocalPortForward, ServiceForward, ForwardRefusal>;

/// Decides a forward to `host`:`port` from a session in `located`. Names are matched without
/// regard to case and with one trailing dot allowed, as DNS would.
ForwardTarget DecideForward(std::string_view host, int port, const Located& located);

}  // namespace yard::ssh
