// Routes and rollouts: which container each endpoint's hosts go to, and the life of a
// rolling component's previous version — kept serving while the new one starts, drained once
// the route has switched, stopped after; or kept for good when the new one fails (rollback).

#include <fmt/core.h>
#include <fmt/format.h>

#include <set>

#include "base/log.h"
#include "controller/reconciler.h"
#include "controller/reconciler_internal.h"
#include "edge/hostnames.h"
#include "events/kinds.h"

namespace yard::controller {

using namespace internal;

namespace {

// The edge dials containers at their address on the deployment's network: the host reaches
// it directly (a rootful engine's bridge), which spares the published port's NAT, and the
// port is the same for every version, so a switch is a change of address only.
std::string Upstream(const std::string& ip, int port) { return fmt::format("{}:{}", ip, port); }

std::string RouteId(int64_t deployment_id, const std::string& endpoint) {
  return fmt::format("d{}-{}", deployment_id, endpoint);
}

std::string ShortImage(const std::string& image) {
  size_t colon = image.rfind(':');
  return colon == std::string::npos ? image : image.substr(colon + 1);
}

}  // namespace

Status Reconciler::KeepPrevious(const store::Deployment& d, const ServicePlan& plan,
                                std::vector<runtime::ContainerInfo>& superseded) {
  Tracked& tracked = tracked_[plan.id];
  const runtime::ContainerInfo* keep = nullptr;
  for (const runtime::ContainerInfo& container : superseded) {
    if (tracked.previous && tracked.previous->id == container.id) keep = &container;
  }
  std::map<int, int> published;
  std::string ip;
  if (keep == nullptr && !superseded.empty()) {
    // Not known from an earlier pass (the server restarted mid-rollout): the one the edge
    // routes to serves; without routes to go by, the newest.
    std::set<std::string> routed;
    bool plan_routed = false;  // the edge sends this service's traffic somewhere
    if (ctx_.router != nullptr) {
      for (const edge::EdgeRoute& route : ctx_.router->RoutesOf(d.id)) {
        routed.insert(route.upstreams.begin(), route.upstreams.end());
        for (const ServicePlan::Endpoint& endpoint : plan.endpoints) {
          plan_routed |= route.id == RouteId(d.id, endpoint.id) && !route.upstreams.empty();
        }
      }
    }
    for (const runtime::ContainerInfo& container : superseded) {
      auto info = ctx_.runtime->InspectContainer(container.id);
      if (!info || !*info) continue;
      for (const ServicePlan::Endpoint& endpoint : plan.endpoints) {
        if (!(*info)->ip.empty() && routed.contains(Upstream((*info)->ip, endpoint.port))) {
          keep = &container;
          published = (*info)->published;
          ip = (*info)->ip;
        }
      }
    }
    if (keep == nullptr && !plan_routed) {
      for (const runtime::ContainerInfo& container : superseded) {
        if (keep == nullptr || container.started_unix > keep->started_unix) keep = &container;
      }
      if (auto info = ctx_.runtime->InspectContainer(keep->id); info && *info) {
        published = (*info)->published;
        ip = (*info)->ip;
      }
    }
  }
  for (const runtime::ContainerInfo& container : superseded) {
    if (&container == keep) continue;
    (void)ctx_.runtime->StopContainer(container.id, ctx_.stop_grace);
    Status removed = RemoveContainer(ctx_, container.id);
    if (!removed && !IsNotFound(removed)) return removed;
    log::Info("{}/{}: removed {}", d.project, d.name, container.name);
  }
  if (keep == nullptr) {
    // Nothing earlier runs (any more): a version that failed to roll out may try again.
    tracked.previous.reset();
    tracked.rollout_failed_digest.clear();
    tracked.rollout_error.clear();
    return Ok();
  }
  if (!tracked.previous || tracked.previous->id != keep->id) {
    tracked.previous = Tracked::Previous{.id = keep->id,
                                         .name = keep->name,
                                         .image = keep->image,
                                         .ip = ip,
                                         .published = published};
  }
  return Ok();
}

void Reconciler::RollBack(const store::Deployment& d, const ServicePlan& plan, Tracked& tracked,
                          const std::string& why) {
  tracked.last_log = TailLines(tracked.container_id, kLogTail);
  (void)ctx_.runtime->StopContainer(tracked.container_id, ctx_.stop_grace);
  (void)RemoveContainer(ctx_, tracked.container_id);
  tracked.container_id.clear();
  tracked.health.reset();
  tracked.accepting = false;
  tracked.rollout_failed_digest = plan.digest;
  tracked.rollout_error = fmt::format(
      "the new version ({}) {}; rolled back, the previous version ({}) serves", ShortImage(plan.spec.image),
      why, ShortImage(tracked.previous->image));
  tracked.state = ServiceState::kRunning;
  tracked.reason = tracked.rollout_error;
  log::Warn("{}/{}: {}: {}", d.project, d.name, plan.id, tracked.rollout_error);
  if (ctx_.events != nullptr) {
    ctx_.events->Record(events::RolloutRolledBack(d, plan.id, tracked.rollout_error));
  }
}

bool Reconciler::ReadyForTraffic(const ServicePlan& plan, Tracked& tracked) {
  if (tracked.container_id.empty() || tracked.state != ServiceState::kRunning) return false;
  if (plan.health || tracked.accepting) return true;
  // No health check: ready once its port takes a connection (a server that has not bound
  // yet would fail every request sent to it).
  int port = plan.port;
  if (port == 0 && !plan.endpoints.empty()) port = plan.endpoints.front().port;
  if (port == 0) return true;
  auto published = tracked.published.find(port);
  if (published == tracked.published.end()) return true;
  tracked.accepting = ctx_.prober->Tcp("127.0.0.1", published->second, 2s);
  return tracked.accepting;
}

bool Reconciler::Route(const store::Deployment& d, const std::vector<ServicePlan>& plans) {
  std::multimap<std::string, std::string> custom;  // endpoint id -> hostname
  if (ctx_.domains != nullptr) {
    if (auto domains = ctx_.domains->ListForDeployment(d.id)) {
      for (const store::Domain& domain : *domains) custom.emplace(domain.endpoint, domain.hostname);
    }
  }
  std::vector<edge::EdgeRoute> routes;
  std::map<std::string, bool> switched;  // service -> its new version serves
  for (const ServicePlan& plan : plans) {
    Tracked& tracked = tracked_[plan.id];
    bool fresh_serves = !tracked.container_id.empty() &&
                        (!tracked.previous || ReadyForTraffic(plan, tracked));
    switched[plan.id] = fresh_serves;
    std::string ip;
    if (fresh_serves) {
      ip = tracked.ip;
    } else if (tracked.previous) {
      ip = tracked.previous->ip;
    }
    for (const ServicePlan::Endpoint& endpoint : plan.endpoints) {
      edge::EdgeRoute route{.id = RouteId(d.id, endpoint.id), .port = endpoint.port};
      route.hosts.push_back(edge::EndpointHost(endpoint.id, d.name, d.project, ctx_.domain));
      auto [first, last] = custom.equal_range(endpoint.id);
      for (auto it = first; it != last; ++it) route.hosts.push_back(it->second);
      if (!ip.empty()) route.upstreams.push_back(Upstream(ip, endpoint.port));
      routes.push_back(std::move(route));
    }
  }

  Status routed = ctx_.router != nullptr ? ctx_.router->SetRoutes(d.id, routes) : Ok();
  if (!routed) inputs_.edge_error = routed.error().message;
  routes_ = std::move(routes);

  bool rolling = false;
  TimePoint now = ctx_.now();
  for (const ServicePlan& plan : plans) {
    Tracked& tracked = tracked_[plan.id];
    if (!tracked.previous) continue;
    if (tracked.rollout_failed_digest == plan.digest) {
      inputs_.rollout_errors.push_back(fmt::format("{}: {}", plan.id, tracked.rollout_error));
      continue;
    }
    rolling = true;
    inputs_.rolling_out.push_back(plan.id);
    if (!switched[plan.id] || !routed) continue;
    if (!tracked.previous->retire_at) {
      // The edge may send requests to the old address until it next looks the route up.
      tracked.previous->retire_at = now + std::max<std::chrono::milliseconds>(
                                              ctx_.drain, ctx_.upstream_refresh * 2);
      log::Info("{}/{}: {} serves the new version; {} drains for {} s", d.project, d.name,
                plan.id, tracked.previous->name, ctx_.drain.count());
      if (ctx_.events != nullptr) ctx_.events->Record(events::RolloutSwitched(d, plan.id));
    }
    if (now < *tracked.previous->retire_at) continue;
    (void)ctx_.runtime->StopContainer(tracked.previous->id, ctx_.stop_grace);
    Status removed = RemoveContainer(ctx_, tracked.previous->id);
    if (!removed && !IsNotFound(removed)) continue;  // tried again next pass
    log::Info("{}/{}: retired {}", d.project, d.name, tracked.previous->name);
    tracked.previous.reset();
  }
  return rolling;
}

void Reconciler::PublishEndpoints(const store::Deployment& d,
                                  const std::vector<ServicePlan>& plans,
                                  DeploymentStatus& status) {
  for (const ServicePlan& plan : plans) {
    for (const ServicePlan::Endpoint& endpoint : plan.endpoints) {
      auto url = [&](const std::string& host) {
        return ctx_.https_port == 443 ? "https://" + host
                                      : fmt::format("https://{}:{}", host, ctx_.https_port);
      };
      EndpointStatus out{.id = endpoint.id, .service = plan.id};
      std::string route_id = RouteId(d.id, endpoint.id);
      for (const edge::EdgeRoute& route : routes_) {
        if (route.id != route_id) continue;
        for (size_t i = 0; i < route.hosts.size(); ++i) {
          EndpointStatus::Host host{
              .name = route.hosts[i], .url = url(route.hosts[i]), .custom = i > 0};
          if (ctx_.router != nullptr) host.certificate = ctx_.router->Certificate(route.hosts[i]);
          out.hosts.push_back(std::move(host));
        }
        if (!route.upstreams.empty()) out.upstream = route.upstreams.front();
      }
      out.url = url(edge::EndpointHost(endpoint.id, d.name, d.project, ctx_.domain));
      status.endpoints.push_back(std::move(out));
    }
  }
}

}  // namespace yard::controller
