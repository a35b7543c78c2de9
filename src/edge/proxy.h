#pragma once

// The proxy process the edge drives, seen through the little the edge needs of it: a whole
// config to load, and what it said about certificates. Caddy implements it (caddy_proxy.h);
// unit tests use a fake.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace yard::edge {

class Proxy {
 public:
  virtual ~Proxy() = default;
  /// Replaces the whole config; starts the proxy first if it does not run yet. On
  /// kInvalidArgument the proxy refused it and keeps serving the previous one; other errors
  /// mean it could not be reached.
  virtual Status Load(const nlohmann::json& config) = 0;
  /// Where it keeps certificates and the internal CA.
  virtual std::string storage_dir() const = 0;
  virtual std::string admin_socket() const = 0;
  /// Why the last attempt to obtain a certificate for `host` failed, if it did.
  virtual std::optional<std::string> CertificateError(const std::string& host) const = 0;
};

}  // namespace yard::edge
