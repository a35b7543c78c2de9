#pragma once

// The edge's route table: every deployment's routes, pushed to the proxy as one whole config
// each time one deployment's change. Each push changes one deployment only, so a config the
// proxy refuses is that deployment's fault: its error is returned to it, and the table (like
// the proxy, which keeps its last good config) stays as it was for everyone. The accepted
// table is saved in DIR/routes.json so that a restarted server pushes every deployment's
// routes from its first push on, not only those of the deployments it has looked at.
//
// With an UpstreamDns, which containers serve a route is not in the config at all: Caddy
// looks the route's upstreams up in that DNS table, and a change of containers (a rollout's
// switch, a stop, a crash, a restart) updates the table without reloading Caddy. Only a change
// of hosts (a deployment created or deleted, a custom domain) reloads it.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "edge/caddy_config.h"
#include "edge/proxy.h"
#include "edge/router.h"
#include "edge/upstream_dns.h"

namespace yard::edge {

struct EdgeOptions {
  /// Ports, timeouts, ACME; admin_socket and storage_dir are taken from the proxy.
  EdgeSettings settings;
  /// DATA_DIR/edge: routes.json.
  std::string dir;
  /// Where the internal CA's root is copied (DATA_DIR/ca.pem) once it exists.
  std::string ca_export;
  /// Resolves routes' upstreams (see above); null: upstreams are written into the config.
  UpstreamDns* dns = nullptr;
};

class Edge final : public Router {
 public:
  Edge(EdgeOptions options, std::unique_ptr<Proxy> proxy);

  Status SetRoutes(int64_t deployment_id, std::vector<EdgeRoute> routes) override;
  void Retain(const std::set<int64_t>& ids) override;
  HostCertificate Certificate(const std::string& host) override;

  /// Pushes the saved table (at server start, so that routes serve before the deployments'
  /// first passes). Errors are logged: a deployment's next SetRoutes tries again.
  void Restore();

  std::vector<EdgeRoute> RoutesOf(int64_t deployment_id) const override;

 private:
  using Table = std::map<int64_t, std::vector<EdgeRoute>>;
  Status Push(const Table& table);  // mutex_ held
  /// What of the table goes into Caddy's config: with DNS upstreams, not the upstreams.
  std::vector<EdgeRoute> ConfigRoutes(const Table& table) const;
  void PublishUpstreams(const Table& from, const Table& to);  // mutex_ held
  void Save() const;                // mutex_ held
  void ExportCa();                  // mutex_ held

  const EdgeOptions options_;
  std::unique_ptr<Proxy> proxy_;
  mutable std::mutex mutex_;
  Table accepted_;
  bool pushed_ = false;  // the proxy has loaded our table since we started
};

}  // namespace yard::edge
