#pragma once

// Caddy's whole configuration, generated from the routes the server knows: one HTTPS server
// with a route per endpoint host, an HTTP server that redirects to HTTPS (with the HTTPS port
// when it is not 443, which Caddy 2.6's automatic redirect leaves out), certificates from the
// internal CA for local names and from ACME for the rest. Pure: the caller pushes the JSON
// through the admin API (POST /load), which refuses an invalid config and keeps the last
// good one serving.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace yard::edge {

struct EdgeRoute {
  std::string id;                     // stable, e.g. "d12-app": Caddy's @id for the route
  std::vector<std::string> hosts;     // generated hostname and custom domains
  std::vector<std::string> upstreams; // "127.0.0.1:PORT"
};

struct EdgeSettings {
  std::string admin_socket;  // absolute path of the admin API's unix socket
  std::string storage_dir;   // certificates, keys, the internal CA
  int http_port = 80;
  int https_port = 443;
  /// ACME directory for names the internal CA does not cover.
  std::string acme_directory = "https://acme-v02.api.letsencrypt.org/directory";
  std::vector<std::string> acme_trusted_roots;  // PEM files (a test ACME server's root)
  std::string acme_email;
  std::chrono::seconds request_timeout{60};
  int64_t max_body_bytes = 100LL << 20;
};

/// True for names the internal CA certifies: `localhost`, `*.localhost`, and anything under
/// the `.internal`, `.test` and `.home.arpa` special-use domains.
bool UsesInternalCa(const std::string& host);

/// The complete config for POST /load.
nlohmann::json CaddyConfig(const EdgeSettings& settings, const std::vector<EdgeRoute>& routes);

/// STORAGE/pki/authorities/local/root.crt: the internal CA's root, for `curl --cacert`.
std::string InternalCaRoot(const std::string& storage_dir);

}  // namespace yard::edge
