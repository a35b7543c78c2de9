#include "edge/caddy_proxy.h"

namespace yard::edge {

CaddyProxy::CaddyProxy(CaddyOptions options) : process_(std::move(options)) {}

CaddyProxy::~CaddyProxy() { Stop(); }

Status CaddyProxy::Load(const nlohmann::json& config) {
  {
    std::lock_guard lock(mutex_);
    if (!started_) {
      TRY_CTX(process_.Start(), "starting Caddy");
      started_ = true;
    }
  }
  return process_.Load(config);
}

std::optional<std::string> CaddyProxy::CertificateError(const std::string& host) const {
  return process_.CertificateError(host);
}

void CaddyProxy::Stop() {
  std::lock_guard lock(mutex_);
  if (started_) process_.Stop();
  started_ = false;
}

}  // namespace yard::edge
