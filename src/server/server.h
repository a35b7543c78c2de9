#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

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
  /// The edge (Caddy): where it listens, where certificates come from, how it proxies.
  int http_port = 80;
  int https_port = 443;
  /// ACME directory for names the internal CA does not cover (custom domains, and generated
  /// hostnames under a real domain unless `internal_ca`).
  std::string acme_directory = "https://acme-v02.api.letsencrypt.org/directory";
  std::string acme_email;
  /// PEM files of roots to trust for the ACME server's own HTTPS (a private ACME server).
  std::vector<std::string> acme_roots;
  /// Certify generated hostnames with the internal CA even under a real domain (a private
  /// network, or an installation behind another proxy).
  bool internal_ca = false;
  std::chrono::seconds proxy_timeout{60};
  int64_t max_body_bytes = 100LL << 20;
  /// How long a rolled-out component's previous version keeps running after the switch.
  std::chrono::seconds drain{10};
  /// Builds: how many run at once, the limits of each (0: none), how long one may take, and
  /// how many releases per deployment keep their images when old images are pruned.
  int build_concurrency = 1;
  double build_cpus = 0;
  int64_t build_memory_bytes = 0;
  std::chrono::seconds build_timeout{1800};
  int keep_releases = 10;
  /// The SSH gateway: where it listens (port 0 picks one), and the host and port clients are
  /// told to use (empty host: --domain, or "localhost" under the default domain; port 0: the
  /// bound port). Off: no gateway.
  bool ssh_enabled = true;
  std::string ssh_host = "127.0.0.1";
  uint16_t ssh_port = 2222;
  std::string ssh_advertise_host;
  int ssh_advertise_port = 0;
  /// Git from inside development deployments (devgit/): the port it is served on, on the
  /// host's address on each deployment's network. 0: not offered.
  int dev_git_port = 8418;
  /// How long a deleted deployment's volumes stay in the trash, restorable, before they are
  /// removed (deployments/trash.h).
  std::chrono::seconds trash_retention{7 * 24 * 3600};
  /// How long a dashboard session lasts from sign-in.
  std::chrono::seconds session_lifetime{7 * 24 * 3600};
  /// How often each running deployment's services' CPU, memory and disk are sampled for
  /// their history (deployments/resource_sampler.h; kept 25 hours).
  std::chrono::seconds resource_sample_interval{30};
  /// How long in-flight requests may take to finish after SIGTERM.
  std::chrono::milliseconds shutdown_grace{10000};
  /// Serve the dashboard from this folder (read on each request) instead of the copy compiled
  /// in; empty: the compiled-in one.
  std::string web_dir;
};

/// The default data dir: /var/lib/stackyard for root, ~/.local/share/stackyard otherwise.
std::string DefaultDataDir();

/// Runs the server until SIGTERM or SIGINT: takes the data dir's lock, migrates the store,
/// creates the admin user on first start (its token in DATA_DIR/admin.token), serves the API,
/// and writes DATA_DIR/server.json once it is ready. Returns after a graceful stop.
Status RunServer(const ServerOptions& options);

}  // namespace yard::server
