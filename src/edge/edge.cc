#include "edge/edge.h"

#include <fmt/core.h>

#include <cstdlib>
#include <ctime>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "edge/certificates.h"

namespace yard::edge {
namespace {

using Json = nlohmann::json;

Json RouteJson(const EdgeRoute& route) {
  return {{"id", route.id}, {"hosts", route.hosts}, {"upstreams", route.upstreams},
          {"port", route.port}};
}

EdgeRoute RouteFromJson(const Json& json) {
  return {.id = json.value("id", ""),
          .hosts = json.value("hosts", std::vector<std::string>{}),
          .upstreams = json.value("upstreams", std::vector<std::string>{}),
          .port = json.value("port", 0)};
}

}  // namespace

Edge::Edge(EdgeOptions options, std::unique_ptr<Proxy> proxy)
    : options_(std::move(options)), proxy_(std::move(proxy)) {
  // The table a previous run accepted; anything unreadable is dropped — deployments push
  // their routes again on their next pass.
  auto text = fs::ReadFile(options_.dir + "/routes.json");
  if (!text) return;
  Json json = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return;
  try {
    for (const auto& [key, routes] : json.items()) {
      if (!routes.is_array()) continue;
      int64_t id = std::atoll(key.c_str());
      if (id <= 0) continue;
      for (const Json& route : routes) {
        if (route.is_object()) accepted_[id].push_back(RouteFromJson(route));
      }
    }
  } catch (const Json::exception& error) {
    log::Warn("edge: ignoring {}/routes.json: {}", options_.dir, error.what());
    accepted_.clear();
  }
}

Status Edge::SetRoutes(int64_t deployment_id, std::vector<EdgeRoute> routes) {
  std::lock_guard lock(mutex_);
  auto it = accepted_.find(deployment_id);
  bool same = it == accepted_.end() ? routes.empty() : it->second == routes;
  if (same && pushed_) return Ok();
  Table candidate = accepted_;
  if (routes.empty()) {
    candidate.erase(deployment_id);
  } else {
    candidate[deployment_id] = std::move(routes);
  }
  // Upstreams first: a new route's name must resolve by the time Caddy serves the route.
  PublishUpstreams(accepted_, candidate);
  if (!pushed_ || ConfigRoutes(candidate) != ConfigRoutes(accepted_)) {
    if (Status pushed = Push(candidate); !pushed) {
      PublishUpstreams(candidate, accepted_);
      return pushed;
    }
  }
  accepted_ = std::move(candidate);
  Save();
  return Ok();
}

std::vector<EdgeRoute> Edge::ConfigRoutes(const Table& table) const {
  std::vector<EdgeRoute> routes;
  for (const auto& [id, deployment_routes] : table) {
    for (EdgeRoute route : deployment_routes) {
      if (options_.dns != nullptr && route.port > 0) route.upstreams.clear();
      routes.push_back(std::move(route));
    }
  }
  return routes;
}

void Edge::PublishUpstreams(const Table& from, const Table& to) {
  if (options_.dns == nullptr) return;
  std::set<std::string> names;
  for (const auto& [id, routes] : to) {
    for (const EdgeRoute& route : routes) {
      std::vector<std::string> addresses;
      for (const std::string& upstream : route.upstreams) {
        addresses.push_back(upstream.substr(0, upstream.rfind(':')));
      }
      options_.dns->Set(UpstreamName(route.id), std::move(addresses));
      names.insert(UpstreamName(route.id));
    }
  }
  for (const auto& [id, routes] : from) {
    for (const EdgeRoute& route : routes) {
      if (!names.contains(UpstreamName(route.id))) options_.dns->Remove(UpstreamName(route.id));
    }
  }
}

void Edge::Retain(const std::set<int64_t>& ids) {
  std::lock_guard lock(mutex_);
  Table candidate = accepted_;
  std::erase_if(candidate, [&](const auto& entry) { return !ids.contains(entry.first); });
  if (candidate.size() == accepted_.size()) return;
  if (Status pushed = Push(candidate); !pushed) {
    log::Warn("edge: dropping the routes of deleted deployments: {}", pushed.error().message);
    return;
  }
  PublishUpstreams(accepted_, candidate);
  accepted_ = std::move(candidate);
  Save();
}

void Edge::Restore() {
  std::lock_guard lock(mutex_);
  if (accepted_.empty()) return;
  PublishUpstreams({}, accepted_);
  if (Status pushed = Push(accepted_); !pushed) {
    log::Warn("edge: restoring the saved routes: {}", pushed.error().message);
  }
}

std::vector<EdgeRoute> Edge::RoutesOf(int64_t deployment_id) const {
  std::lock_guard lock(mutex_);
  auto it = accepted_.find(deployment_id);
  return it == accepted_.end() ? std::vector<EdgeRoute>{} : it->second;
}

HostCertificate Edge::Certificate(const std::string& host) {
  std::string storage;
  {
    std::lock_guard lock(mutex_);
    // The root appears some time after the first push that needs it.
    if (!options_.ca_export.empty() && !fs::Exists(options_.ca_export)) ExportCa();
    storage = proxy_->storage_dir();
  }
  CertificateInfo info = ReadCertificate(storage, host, std::time(nullptr));
  HostCertificate out;
  out.issuer = info.issuer;
  out.not_after = info.not_after;
  switch (info.state) {
    case CertificateInfo::State::kValid:
      out.state = "valid";
      return out;
    case CertificateInfo::State::kExpired:
      out.state = "expired";
      break;
    case CertificateInfo::State::kNone:
      out.state = "pending";
      break;
  }
  if (auto error = proxy_->CertificateError(host)) {
    out.state = "error";
    out.error = *error;
  }
  return out;
}

Status Edge::Push(const Table& table) {
  std::vector<EdgeRoute> routes = ConfigRoutes(table);
  EdgeSettings settings = options_.settings;
  if (options_.dns != nullptr) {
    settings.upstream_resolver = fmt::format("127.0.0.1:{}", options_.dns->port());
  }
  settings.admin_socket = proxy_->admin_socket();
  settings.storage_dir = proxy_->storage_dir();
  TRY(proxy_->Load(CaddyConfig(settings, routes)));
  pushed_ = true;
  ExportCa();
  return Ok();
}

void Edge::Save() const {
  Json json = Json::object();
  for (const auto& [id, routes] : accepted_) {
    Json list = Json::array();
    for (const EdgeRoute& route : routes) list.push_back(RouteJson(route));
    json[std::to_string(id)] = list;
  }
  if (Status saved = fs::AtomicWriteFile(options_.dir + "/routes.json", json.dump(2) + "\n");
      !saved) {
    log::Warn("edge: saving the route table: {}", saved.error().message);
  }
}

void Edge::ExportCa() {
  // The internal CA's root appears once Caddy first needs it; copy it where users look, and
  // again if Caddy ever renews it.
  if (options_.ca_export.empty()) return;
  auto root = fs::ReadFile(InternalCaRoot(proxy_->storage_dir()), 1 << 20);
  if (!root) return;
  auto current = fs::ReadFile(options_.ca_export, 1 << 20);
  if (current && *current == *root) return;
  if (Status written = fs::AtomicWriteFile(options_.ca_export, *root); !written) {
    log::Warn("edge: exporting the CA root: {}", written.error().message);
  }
}

}  // namespace yard::edge
