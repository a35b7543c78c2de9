#pragma once

// The gateway's listening socket: bound at once (so that a port in use is an error at start,
// not later), accepted from one thread, woken for stop through an eventfd.

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace yard::ssh {

struct Accepted {
  UniqueFd fd;
  std::string peer_ip;  // "127.0.0.1", "::1"
  int peer_port = 0;
};

class Listener {
 public:
  /// Binds and listens on host:port (IPv4 or IPv6 literal, or "localhost"); port 0 picks one.
  static Result<Listener> Open(const std::string& host, int port);

  Listener(Listener&&) = default;
  Listener& operator=(Listener&&) = default;

  int port() const { return port_; }

  /// Waits up to `timeout` for a connection. nullopt on timeout or after Wake(). The accepted
  /// socket has TCP keepalive on (dead peers are found in about two minutes) and is blocking.
  std::optional<Accepted> Accept(std::chrono::milliseconds timeout);
  /// Makes a waiting Accept return at once (thread-safe).
  void Wake();

 private:
  Listener() = default;

  UniqueFd socket_;
  UniqueFd wake_;  // an eventfd
  int port_ = 0;
};

}  // namespace yard::ssh
