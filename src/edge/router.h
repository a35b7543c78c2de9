#pragma once

// What the controller needs from the edge: to say where each deployment's hosts go, and to
// learn how their certificates are doing. The Caddy-backed implementation is edge.h; tests of
// the controller use a fake.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "edge/caddy_config.h"

namespace yard::edge {

/// A host's certificate, as the edge sees it.
struct HostCertificate {
  /// "pending" (not obtained yet), "valid", "expired" or "error" (the last attempt failed).
  std::string state = "pending";
  std::string issuer;    // "internal", or the ACME directory's host
  int64_t not_after = 0; // unix seconds; 0 when unknown
  std::string error;     // why the last attempt failed, when state is "error"
};

class Router {
 public:
  virtual ~Router() = default;

  /// Replaces the routes of one deployment (empty: it has none). Ok once the edge serves them.
  /// An error when the edge refused them — the deployment's previous routes, and every other
  /// deployment's, keep serving — or when the edge is unavailable; the caller tries again.
  virtual Status SetRoutes(int64_t deployment_id, std::vector<EdgeRoute> routes) = 0;

  /// The routes the edge serves for a deployment.
  virtual std::vector<EdgeRoute> RoutesOf(int64_t deployment_id) const = 0;

  /// Drops the routes of deployments not in `ids` (deleted while the server was down).
  virtual void Retain(const std::set<int64_t>& ids) = 0;

  /// The certificate the edge has for `host`.
  virtual HostCertificate Certificate(const std::string& host) = 0;
};

}  // namespace yard::edge
