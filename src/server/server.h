#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/log.h"
#include "base/result.h"

namespace yard::server {

struct ServerOptions {
  std::string data_dir;
  std::string api_host = "127.0.0.1";
  uint16_t api_port = 8420;
  std::chrono::milliseconds request_timeout{15000};
  /// Threads that run API handlers (0: on the I/O thread itself).
  size_t api_threads = 4;
  /// How often mirrored projects are fetched from their source; 0 turns it off.
  std::chrono::seconds refresh_interval{300};
  /// A container engine's API socket ("unix:///run/docker.sock"); empty: the server starts
  /// its own `podman system service` when a deployment first needs it.
  std::string engine;
  /// The base domain of deployments' public URLs.
  std::string domain = "localhost";
  /// How long in-flight requests may take to finish after SIGTERM.
  std::chrono::milliseconds shutdown_grace{10000};
};

/// The default data dir: /var/lib/stackyard for root, ~/.local/share/stackyard otherwise.
std::string DefaultDataDir();

/// Runs the server until SIGTERM or SIGINT: takes the data dir's lock, migrates the store,
/// creates the admin user on first start (its token in DATA_DIR/admin.token), serves the API,
/// and writes DATA_DIR/server.json once it is ready. Returns after a graceful stop.
Status RunServer(const ServerOptions& options);

}  // namespace yard::server
