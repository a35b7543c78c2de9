// The container half of the reconciler: converging containers onto the plan, health probes,
// crashes, install steps, and tearing down.

#include <fmt/core.h>
#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "base/fs.h"
#include "base/log.h"
#include "controller/reconciler.h"
#include "controller/reconciler_internal.h"
#include "events/kinds.h"

namespace yard::controller {

using namespace internal;
using runtime::ContainerState;

Result<std::string> Reconciler::RecordTrash(const store::Deployment& d,
                                             const std::string& planned) {
  // Recorded before the move, with the path the volumes go to: a crash between the two
  // leaves an entry whose directory is still to come (the next pass moves it there, since
  // the row is still marked deleted), never a directory in the trash nobody knows about.
  if (auto existing = TRY(ctx_.trash->FindByDeployment(d))) return existing->path;
  store::TrashSnapshot snapshot = TRY(store::SnapshotOf(*ctx_.deployments, ctx_.domains, d));
  int64_t now = ctx_.clock->NowUnix();
  store::TrashEntry entry = TRY(ctx_.trash->Add({.project_id = d.project_id,
                                                 .name = d.name,
                                                 .stage = d.stage,
                                                 .deployment_id = d.id,
                                                 .path = planned,
                                                 .snapshot = store::WriteSnapshot(snapshot),
                                                 .deleted_at = now,
                                                 .purge_at = now + ctx_.trash_retention.count()}));
  if (ctx_.events != nullptr) {
    ctx_.events->Record(
        {.project_id = d.project_id,
         .project = d.project,
         .deployment_id = d.id,
         .deployment = d.name,
         .kind = std::string(events::kDeploymentTrashed),
         .message = fmt::format("deleted; its volumes are kept in the trash until {} (entry {})",
                                FormatTimestamp(entry.purge_at), entry.id),
         .data = {{"trash_id", entry.id}, {"purge_at", entry.purge_at}}});
  }
  return entry.path;
}

Status Reconciler::TearDown(const store::Deployment& d, bool remove_everything) {
  // Routes first, so that nobody is sent to a container on its way out. The edge being down
  // must not block a stop or a delete: the server drops leftover routes when it starts.
  // A stopped deployment keeps its hosts, answered with a 503 that says it is not serving.
  if (ctx_.router != nullptr) {
    std::vector<edge::EdgeRoute> routes;
    if (!remove_everything) routes = ctx_.router->RoutesOf(d.id);
    for (edge::EdgeRoute& route : routes) route.upstreams.clear();
    if (Status unrouted = ctx_.router->SetRoutes(d.id, routes); !unrouted) {
      log::Warn("{}/{}: removing its routes: {}", d.project, d.name, unrouted.error().message);
    }
  }
  routes_.clear();
  auto containers = TRY(ctx_.runtime->ListContainers(DeploymentLabels(d.id)));
  for (const runtime::ContainerInfo& container : containers) {
    if (container.state == ContainerState::kRunning || container.state == ContainerState::kPaused) {
      if (container.state == ContainerState::kPaused) {
        (void)ctx_.runtime->UnpauseContainer(container.id);
      }
      Status stopped = ctx_.runtime->StopContainer(container.id, ctx_.stop_grace);
      if (!stopped && !IsNotFound(stopped)) return stopped;
    }
    Status removed = RemoveContainer(ctx_, container.id);
    if (!removed && !IsNotFound(removed)) return removed;
  }
  if (!remove_everything) return Ok();

  for (const runtime::NetworkInfo& network :
       TRY(ctx_.runtime->ListNetworks(DeploymentLabels(d.id)))) {
    Status removed = ctx_.runtime->RemoveNetwork(network.id);
    if (!removed && !IsNotFound(removed)) return removed;
    // The address may go to another network (of this machine's other installations too).
    if (ctx_.dev_git != nullptr && !network.gateway.empty()) ctx_.dev_git->Close(network.gateway);
  }
  // Volumes go to the trash, not away: a mistaken delete can be undone (deployments/trash.h).
  std::string dir = ctx_.naming.DeploymentDir(d.project, d.name);
  std::string target = fmt::format("{}/{}-{}-{}-{}", ctx_.trash_dir, d.project, d.name, d.id,
                                   ctx_.clock->NowUnix());
  if (ctx_.trash != nullptr) target = TRY(RecordTrash(d, target));
  if (fs::Exists(dir) && fs::Exists(target)) {
    // Moved once already (an earlier pass), yet the directory is back: keep both apart.
    log::Warn("{}/{}: {} is in the trash already; {} is left where it is", d.project, d.name,
              target, dir);
  } else if (fs::Exists(dir)) {
    TRY(fs::CreateDirectories(ctx_.trash_dir));
    std::error_code error;
    std::filesystem::rename(dir, target, error);
    if (error) {
      return Unexpected(ErrorCode::kIo, fmt::format("cannot move {} to the trash: {}", dir,
                                                    error.message()));
    }
  }
  Status deleted = ctx_.deployments->Delete(d.id);
  if (!deleted && !IsNotFound(deleted)) return deleted;
  log::Info("{}/{}: deleted; its volumes are in {}", d.project, d.name, target);
  return Ok();
}

std::vector<std::string> Reconciler::TailLines(const std::string& container_id, int lines) {
  std::vector<std::string> out;
  auto logs = ctx_.runtime->Logs(container_id, {.tail = lines});
  if (!logs) return out;
  size_t start = 0;
  while (start < logs->size()) {
    size_t end = logs->find('\n', start);
    if (end == std::string::npos) end = logs->size();
    if (end > start) out.push_back(logs->substr(start, end - start));
    start = end + 1;
  }
  if (out.size() > static_cast<size_t>(lines)) out.erase(out.begin(), out.end() - lines);
  return out;
}

bool Reconciler::Ready(const std::string& service) const {
  auto it = tracked_.find(service);
  if (it == tracked_.end() || it->second.container_id.empty()) return false;
  const Tracked& tracked = it->second;
  if (tracked.state != ServiceState::kRunning) return false;
  return !tracked.health || tracked.health->state() == HealthState::kHealthy;
}

void Reconciler::RecordCrash(const runtime::ContainerInfo& container, Tracked& tracked,
                             TimePoint now) {
  auto inspected = ctx_.runtime->InspectContainer(container.id);
  if (inspected && *inspected) tracked.last_exit_code = (*inspected)->exit_code;
  tracked.last_log = TailLines(container.id, kLogTail);
  if (now - tracked.running_since >= kBackoffReset) tracked.backoff_step = 0;
  tracked.next_start = now + Backoff(tracked.backoff_step++);
  ++tracked.restarts;
  tracked.state = ServiceState::kCrashed;
  tracked.reason = fmt::format("exited with code {}; restarting with back-off",
                               tracked.last_exit_code.value_or(-1));
  tracked.container_id.clear();
  tracked.health.reset();
  // Fresh start: the next container begins from the image, like any restart.
  (void)RemoveContainer(ctx_, container.id);
}

void Reconciler::Probe(const ServicePlan& plan, Tracked& tracked, TimePoint now) {
  if (!tracked.health) {
    tracked.state = ServiceState::kRunning;
    return;
  }
  if (tracked.health->Due(now)) {
    const manifest::Health& health = *plan.health;
    auto timeout = std::chrono::milliseconds(std::chrono::seconds(health.timeout_seconds));
    bool ok = false;
    switch (health.kind) {
      case manifest::HealthKind::kHttp: {
        int port = plan.port;
        auto published = tracked.published.find(port);
        if (published != tracked.published.end()) {
          ok = ctx_.prober->Http("127.0.0.1", published->second, health.http_path, timeout);
        } else if (!tracked.ip.empty() && port > 0) {
          ok = ctx_.prober->Http(tracked.ip, port, health.http_path, timeout);
        }
        break;
      }
      case manifest::HealthKind::kTcp: {
        auto published = tracked.published.find(health.tcp_port);
        if (published != tracked.published.end()) {
          ok = ctx_.prober->Tcp("127.0.0.1", published->second, timeout);
        } else if (!tracked.ip.empty()) {
          ok = ctx_.prober->Tcp(tracked.ip, health.tcp_port, timeout);
        }
        break;
      }
      case manifest::HealthKind::kCommand: {
        auto result = ctx_.runtime->Exec(
            tracked.container_id,
            {.cmd = CommandArgv(health.command),
             .timeout = std::chrono::seconds(std::max<int64_t>(health.timeout_seconds, 1))});
        ok = result && result->exit_code == 0;
        break;
      }
    }
    tracked.health->Record(ok, ctx_.now());
  }
  switch (tracked.health->state()) {
    case HealthState::kHealthy:
      tracked.state = ServiceState::kRunning;
      tracked.reason.clear();
      break;
    case HealthState::kUnhealthy:
      tracked.state = ServiceState::kUnhealthy;
      tracked.reason = "failing its health check";
      break;
    default:
      tracked.state = ServiceState::kStarting;
      tracked.reason = "waiting for its health check to pass";
      break;
  }
}

bool Reconciler::RunInstall(const store::Deployment& d, const ServicePlan& plan,
                            Tracked& tracked) {
  tracked.state = ServiceState::kInstalling;
  tracked.reason = "running the install step";
  Publish(d, converging_);
  runtime::ContainerSpec spec = plan.spec;
  spec.name = ctx_.naming.InstallContainer(d.project, d.name, plan.id);
  spec.entrypoint = *plan.install;
  spec.cmd.clear();
  spec.ports.clear();
  spec.aliases.clear();
  spec.labels[std::string(runtime::kLabelRole)] = "install";
  auto fail = [&](const std::string& why) {
    tracked.install_failed_digest = plan.digest;
    tracked.state = ServiceState::kInstallFailed;
    tracked.reason = why;
    return false;
  };
  auto id = ctx_.runtime->CreateContainer(spec);
  if (!id && id.error().code == ErrorCode::kNotFound) {
    ForgetImage(d, plan.id);
    tracked.state = ServiceState::kPending;
    tracked.reason = "its image is gone; building it again";
    return false;
  }
  if (!id) return fail("cannot create the install container: " + id.error().message);
  Status started = ctx_.runtime->StartContainer(*id);
  int exit_code = -1;
  if (started) {
    auto deadline = ctx_.now() + ctx_.install_timeout;
    while (true) {
      auto info = ctx_.runtime->InspectContainer(*id);
      if (!info || !*info) break;
      if ((*info)->state == ContainerState::kExited || (*info)->state == ContainerState::kDead) {
        exit_code = (*info)->exit_code;
        break;
      }
      if (ctx_.now() > deadline) {
        (void)ctx_.runtime->StopContainer(*id, 1s);
        tracked.last_log = TailLines(*id, kLogTail);
        (void)RemoveContainer(ctx_, *id);
        return fail("the install step timed out");
      }
      std::this_thread::sleep_for(kFastPoll);
    }
  }
  tracked.last_log = TailLines(*id, kLogTail);
  (void)RemoveContainer(ctx_, *id);
  if (!started) return fail("the install step did not start: " + started.error().message);
  if (exit_code != 0) {
    tracked.last_exit_code = exit_code;
    return fail(fmt::format("the install step exited with code {}", exit_code));
  }
  tracked.installed_digest = plan.digest;
  tracked.install_failed_digest.clear();
  return true;
}

void Reconciler::ForgetImage(const store::Deployment& d, const std::string& service) {
  // The release's image was removed behind our back (a prune, a person): drop it from the
  // release, so that the next pass builds (or pulls) it again instead of failing forever.
  std::map<std::string, std::string> images = d.release_images;
  if (images.erase(service) == 0) return;
  log::Warn("{}/{}: the image of {} is gone; it is built again", d.project, d.name, service);
  if (Status kept = ctx_.deployments->SetRelease(d.id, d.release_commit, images, d.release_nonce);
      !kept) {
    log::Warn("{}/{}: {}", d.project, d.name, kept.error().message);
  }
}

Status Reconciler::StartService(const store::Deployment& d, const ServicePlan& plan,
                                Tracked& tracked) {
  for (const std::string& dir : plan.directories) TRY(fs::CreateDirectories(dir));
  auto id = ctx_.runtime->CreateContainer(plan.spec);
  if (!id && id.error().code == ErrorCode::kNotFound) {
    ForgetImage(d, plan.id);
    return Unexpected(id.error());
  }
  if (!id && id.error().code == ErrorCode::kAlreadyExists) {
    // Left by a pass that died between create and list; it has our name, so it is ours only
    // if the engine lists it under our labels — which it did not, or we would have adopted
    // it. Refuse rather than remove something that may not be ours.
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("a container named {} exists but was not made by this "
                                  "installation",
                                  plan.spec.name));
  }
  if (!id) return Unexpected(id.error());
  TRY(ctx_.runtime->StartContainer(*id));
  tracked.container_id = *id;
  tracked.container_name = plan.spec.name;
  tracked.image = plan.spec.image;
  tracked.running_since = ctx_.now();
  tracked.started_at = ctx_.clock->NowUnix();
  if (auto info = ctx_.runtime->InspectContainer(*id); info && *info) {
    tracked.published = (*info)->published;
    tracked.ip = (*info)->ip;
  }
  if (plan.health) tracked.health.emplace(*plan.health, ctx_.now());
  tracked.state = ServiceState::kStarting;
  log::Info("{}/{}: started {}", d.project, d.name, plan.spec.name);
  return Ok();
}

Result<bool> Reconciler::Converge(const store::Deployment& d,
                                  const std::vector<ServicePlan>& plans) {
  converging_ = &plans;
  struct Reset {
    const std::vector<ServicePlan>*& plans;
    ~Reset() { plans = nullptr; }
  } reset{converging_};
  std::vector<runtime::ContainerInfo> existing =
      TRY(ctx_.runtime->ListContainers(DeploymentLabels(d.id)));
  std::map<std::string, runtime::ContainerInfo> current;  // service id -> its container
  std::map<std::string, std::vector<runtime::ContainerInfo>> superseded;
  for (const runtime::ContainerInfo& container : existing) {
    std::string service = LabelOf(container.labels, runtime::kLabelComponent);
    const ServicePlan* plan = nullptr;
    for (const ServicePlan& candidate : plans) {
      if (candidate.id == service) plan = &candidate;
    }
    bool wanted = plan != nullptr && LabelOf(container.labels, runtime::kLabelRole) == "service" &&
                  container.name == plan->spec.name &&
                  LabelOf(container.labels, kLabelDigest) == plan->digest;
    if (wanted && !current.contains(service)) {
      current[service] = container;
      continue;
    }
    if (plan != nullptr && plan->rolling && container.state == ContainerState::kRunning &&
        LabelOf(container.labels, runtime::kLabelRole) == "service") {
      // An earlier version of a rolling component: it may have to serve on (KeepPrevious).
      superseded[service].push_back(container);
      continue;
    }
    // Superseded (older generation, changed spec), a leftover install step, or not in the
    // stack any more.
    if (container.state == ContainerState::kRunning) {
      (void)ctx_.runtime->StopContainer(container.id, ctx_.stop_grace);
    }
    Status removed = RemoveContainer(ctx_, container.id);
    if (!removed && !IsNotFound(removed)) return Unexpected(removed.error());
    log::Info("{}/{}: removed {}", d.project, d.name, container.name);
  }

  for (const ServicePlan& plan : plans) {
    if (plan.rolling) TRY(KeepPrevious(d, plan, superseded[plan.id]));
  }

  bool busy = false;
  TimePoint now = ctx_.now();
  for (const ServicePlan& plan : plans) {
    Tracked& tracked = tracked_[plan.id];
    auto it = current.find(plan.id);
    if (it != current.end()) {
      const runtime::ContainerInfo& container = it->second;
      if (container.state == ContainerState::kRunning) {
        if (tracked.container_id != container.id) {
          // Adopted: started by an earlier run of the server.
          tracked.container_id = container.id;
          tracked.container_name = container.name;
          tracked.image = container.image;
          tracked.running_since = now;
          tracked.started_at = container.started_unix;
          if (auto info = ctx_.runtime->InspectContainer(container.id); info && *info) {
            tracked.published = (*info)->published;
            tracked.ip = (*info)->ip;
            tracked.started_at = (*info)->started_unix;
          }
          tracked.health.reset();
          if (plan.health) tracked.health.emplace(*plan.health, now);
          tracked.installed_digest = plan.digest;
        }
        Probe(plan, tracked, now);
        if (tracked.previous && tracked.state == ServiceState::kUnhealthy) {
          RollBack(d, plan, tracked, "failed its health check");
          continue;
        }
        if (tracked.state == ServiceState::kRunning && now - tracked.running_since >= kBackoffReset) {
          tracked.backoff_step = 0;
        }
        busy |= tracked.state == ServiceState::kStarting;
        continue;
      }
      if (container.state == ContainerState::kPaused) {
        tracked.reason = "paused";
        continue;
      }
      if (container.state == ContainerState::kCreated) {
        TRY(ctx_.runtime->StartContainer(container.id));
        busy = true;
        continue;
      }
      if (tracked.previous) {
        auto inspected = ctx_.runtime->InspectContainer(container.id);
        int code = inspected && *inspected ? (*inspected)->exit_code : -1;
        tracked.container_id = container.id;
        RollBack(d, plan, tracked, fmt::format("exited with code {}", code));
        continue;
      }
      RecordCrash(container, tracked, now);
      log::Info("{}/{}: {} exited with code {}; restart {} in {} ms", d.project, d.name,
                container.name, tracked.last_exit_code.value_or(-1), tracked.restarts,
                std::chrono::duration_cast<std::chrono::milliseconds>(tracked.next_start - now)
                    .count());
      busy = true;
      continue;
    }

    // No container: start one when allowed.
    tracked.container_id.clear();
    tracked.health.reset();
    if (now < tracked.next_start) {
      busy = true;
      continue;
    }
    if (tracked.install_failed_digest == plan.digest && !plan.digest.empty()) continue;
    if (tracked.previous && tracked.rollout_failed_digest == plan.digest) {
      // Rolled back: the previous version serves until the next release.
      tracked.state = ServiceState::kRunning;
      tracked.reason = tracked.rollout_error;
      continue;
    }
    // The install step (dependencies: `npm ci`) needs the code, not the add-ons: it runs while
    // they start, which takes it off the critical path.
    if (plan.install && tracked.installed_digest != plan.digest) {
      if (!RunInstall(d, plan, tracked)) continue;
    }
    std::vector<std::string> waiting;
    for (const std::string& dependency : plan.depends_on) {
      if (!Ready(dependency)) waiting.push_back(dependency);
    }
    if (!waiting.empty()) {
      tracked.state = ServiceState::kWaiting;
      tracked.reason = "waiting for " + fmt::format("{}", fmt::join(waiting, ", ")) +
                       " to be healthy";
      busy = true;
      continue;
    }
    Status started = StartService(d, plan, tracked);
    if (!started) {
      tracked.state = ServiceState::kCrashed;
      tracked.reason = started.error().message;
      tracked.next_start = now + Backoff(tracked.backoff_step++);
    }
    busy = true;
  }
  // Forget services that left the stack.
  std::erase_if(tracked_, [&](const auto& entry) {
    return std::none_of(plans.begin(), plans.end(),
                        [&](const ServicePlan& plan) { return plan.id == entry.first; });
  });
  return busy;
}


}  // namespace yard::controller
