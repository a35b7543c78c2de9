#pragma once

// The Proxy the edge drives in production: a CaddyProcess, started when the first config is
// loaded — an installation without deployments runs no Caddy and holds no ports.

#include <memory>
#include <mutex>

#include "edge/caddy_process.h"
#include "edge/proxy.h"

namespace yard::edge {

class CaddyProxy final : public Proxy {
 public:
  explicit CaddyProxy(CaddyOptions options);
  ~CaddyProxy() override;

  Status Load(const nlohmann::json& config) override;
  std::string storage_dir() const override { return process_.storage_dir(); }
  std::string admin_socket() const override { return process_.admin_socket(); }
  std::optional<std::string> CertificateError(const std::string& host) const override;

  /// Stops Caddy, if it was started.
  void Stop();

 private:
  CaddyProcess process_;
  std::mutex mutex_;
  bool started_ = false;  // guarded by mutex_
};

}  // namespace yard::edge
