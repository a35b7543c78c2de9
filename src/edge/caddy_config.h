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
  std::vector<std::string> upstreams; // "IP:PORT" of the containers that serve it now
  int port = 0;                       // the port upstreams listen on (dynamic upstreams)
  bool operator==(const EdgeRoute&) const = default;
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
  /// Hosts equal to or under this domain are certified by the internal CA even when it is a
  /// public name (empty: only local names are).
  std::string internal_domain;
  std::chrono::seconds request_timeout{60};
  /// "127.0.0.1:PORT" of the DNS server that resolves routes' upstreams (UpstreamDns). When
  /// set, a route with a port takes its upstreams from A lookups of UpstreamName(route.id),
  /// refreshed every `upstream_refresh`: a switch to another container is a DNS change, not
  /// a config reload (Caddy 2.6 drops connections that arrive during a reload). When empty,
  /// routes dial their `upstreams` as written.
  std::string upstream_resolver;
  std::chrono::milliseconds upstream_refresh{1000};
  int64_t max_body_bytes = 100LL << 20;
};

/// True for names the internal CA certifies: `localhost`, `*.localhost`, and anything under
/// the `.internal`, `.test` and `.home.arpa` special-use domains.
bool UsesInternalCa(const std::string& host);

/// The DNS name whose A records are a route's upstreams: "ID.upstreams.stackyard".
std::string UpstreamName(const std::string& route_id);

/// The complete config for POST /load.
nlohmann::json CaddyConfig(const EdgeSettings& settings, const std::vector<EdgeRoute>& routes);

/// STORAGE/pki/authorities/local/root.crt: the internal CA's root, for `curl --cacert`.
std::string InternalCaRoot(const std::string& storage_dir);

}  // namespace yard::edge
