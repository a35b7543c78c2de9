#pragma once

// The SSH gateway: one port for every deployment and for Git. It listens, admits or refuses
// connections (ssh/admission.h), and serves each admitted one on its own thread
// (ssh/connection.h). One thread per connection keeps a slow or hostile client from stalling
// anyone else, and keeps libssh's rule (a session is used by one thread at a time) without
// locks. The public interface has no libssh types.

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "ssh/container_access.h"
#include "ssh/directory.h"
#include "ssh/gateway_options.h"
#include "ssh/git_backend.h"
#include "ssh/host_keys.h"

namespace yard::ssh {

class Gateway {
 public:
  /// `git` may be null (Git over SSH off). Everything passed must outlive the gateway.
  Gateway(GatewayOptions options, Directory& directory, ContainerAccess& containers,
          GitBackend* git, const Clock& clock);
  ~Gateway();  // stops

  /// Loads or makes the host keys, binds the port and starts accepting.
  Status Start();
  /// Stops accepting, tells every client the server is stopping, and waits for the
  /// connection threads (at most options.stop_grace, then cuts them).
  void Stop();

  /// The bound port (after Start).
  int port() const;
  const std::vector<HostKey>& host_keys() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace yard::ssh
