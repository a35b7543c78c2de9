#pragma once

// One open channel of a connection (a session, a forwarded connection), as the connection's
// event loop drives it. Implementations never block for long: the loop serves every channel
// of the connection in turn.

#include <map>
#include <string>

#include "ssh/container_access.h"
#include "ssh/directory.h"
#include "ssh/gateway_options.h"
#include "ssh/git_backend.h"
#include "ssh/target.h"

namespace yard::ssh {

/// What every channel of one connection shares: who is connected, where to, and the services.
struct ConnectionContext {
  const GatewayOptions* options = nullptr;
  Directory* directory = nullptr;
  ContainerAccess* containers = nullptr;
  GitBackend* git = nullptr;  // null: Git over SSH is off
  Account account;
  SshTarget target;
  std::string user_name;  // as the client sent it
  std::string peer;       // "203.0.113.7:51234", for logs and SSH_CONNECTION
  std::string ssh_connection;  // "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT"
};

class Channel {
 public:
  virtual ~Channel() = default;

  /// Does whatever can be done now: start what was requested, move bytes, finish.
  virtual void Step() = 0;
  /// Adds the poll events this channel waits for, per descriptor.
  virtual void AddInterest(std::map<int, short>& wanted) const = 0;
  /// True once the channel is closed both ways and can be freed.
  virtual bool finished() const = 0;
  /// The connection is going away: end what runs (never blocks).
  virtual void Hangup() = 0;
};

}  // namespace yard::ssh
