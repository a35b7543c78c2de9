#include "deployments/status_tree.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "base/log.h"
#include "deployments/disk_usage.h"
#include "deployments/ttl_cache.h"

namespace yard::deployments {
namespace {

std::string LabelOf(const runtime::Labels& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? "" : it->second;
}

controller::Colour ColourOfPhase(const std::string& phase) {
  if (phase == "running") return controller::Colour::kGreen;
  if (phase == "failed") return controller::Colour::kRed;
  return controller::Colour::kYellow;
}

// Sorted subdirectories of `dir` (none when it does not exist).
std::vector<std::string> Subdirectories(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::error_code type_error;
    if (entry.is_directory(type_error) && !entry.is_symlink(type_error)) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// What the engine said about one deployment's service containers, at one moment.
struct StatusTrees::Snapshot {
  struct Item {
    runtime::ContainerInfo info;  // listed; inspected fields filled in when inspect worked
    std::optional<runtime::Stats> stats;
    std::chrono::steady_clock::time_point stats_at{};
  };
  std::vector<Item> containers;
  std::string error;
};

struct StatusTrees::Engine {
  explicit Engine(const StatusTreeOptions& options)
      : snapshots(options.engine_ttl, options.now),
        storage(options.disk_ttl, options.now),
        directories(options.disk_ttl, options.now) {}
  TtlCache<int64_t, std::shared_ptr<const Snapshot>> snapshots;
  TtlCache<std::string, StorageNode> storage;
  TtlCache<std::string, int64_t> directories;
};

StatusTrees::StatusTrees(StatusTreeSources sources, StatusTreeOptions options)
    : sources_(std::move(sources)),
      options_(std::move(options)),
      engine_(std::make_unique<Engine>(options_)) {}

StatusTrees::~StatusTrees() = default;

std::shared_ptr<const StatusTrees::Snapshot> StatusTrees::EngineSnapshot(int64_t deployment_id) {
  return engine_->snapshots.Get(deployment_id, [&]() -> std::shared_ptr<const Snapshot> {
    auto snapshot = std::make_shared<Snapshot>();
    if (sources_.runtime == nullptr || !sources_.engine_active()) return snapshot;
    auto listed = sources_.runtime->ListContainers(
        {{std::string(runtime::kLabelDeployment), std::to_string(deployment_id)}});
    if (!listed) {
      snapshot->error = listed.error().message;
      return snapshot;
    }
    for (runtime::ContainerInfo& info : *listed) {
      if (LabelOf(info.labels, runtime::kLabelRole) != "service") continue;
      snapshot->containers.push_back({.info = std::move(info), .stats = std::nullopt});
    }
    // One inspect and, while it runs, one stats call per container, a few at a time: a
    // first stats call of a container waits for a second sample (runtime.h).
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < snapshot->containers.size();) {
        Snapshot::Item& item = snapshot->containers[i];
        if (auto inspected = sources_.runtime->InspectContainer(item.info.id);
            inspected && *inspected) {
          runtime::Labels labels = item.info.labels;
          item.info = std::move(**inspected);
          if (item.info.labels.empty()) item.info.labels = std::move(labels);
        }
        if (item.info.state != runtime::ContainerState::kRunning) continue;
        if (auto stats = sources_.runtime->ContainerStats(item.info.id)) {
          item.stats = *stats;
          item.stats_at = options_.now();
        } else {
          log::Debug("stats of {}: {}", item.info.name, stats.error().message);
        }
      }
    };
    size_t threads = std::min<size_t>(snapshot->containers.size(),
                                      static_cast<size_t>(std::max(1, options_.parallelism)));
    std::vector<std::thread> pool;
    for (size_t i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (std::thread& thread : pool) thread.join();
    return snapshot;
  });
}

StorageNode StatusTrees::Storage(const store::Deployment& d) {
  std::string root = sources_.naming.DeploymentDir(d.project, d.name);
  return engine_->storage.Get(root, [&] {
    StorageNode storage;
    storage.measured_at = sources_.clock != nullptr ? sources_.clock->NowUnix() : 0;
    auto measure = [&](VolumeNode volume) {
      auto usage = MeasureDiskUsage(volume.path);
      if (!usage) {
        if (usage.error().code != ErrorCode::kNotFound) {
          log::Debug("size of {}: {}", volume.path, usage.error().message);
        }
        return;
      }
      volume.bytes = usage->bytes;
      volume.files = usage->files;
      volume.partial = usage->partial;
      storage.total_bytes += volume.bytes;
      storage.volumes.push_back(std::move(volume));
    };
    std::error_code error;
    if (std::filesystem::is_directory(root + "/code", error)) {
      measure({.name = "code", .storage = "code", .path = root + "/code"});
    }
    for (const std::string& service : Subdirectories(root + "/data")) {
      for (const std::string& id : Subdirectories(root + "/data/" + service)) {
        measure({.name = service + "/" + id,
                 .service = service,
                 .storage = id,
                 .path = root + "/data/" + service + "/" + id});
      }
    }
    // The volumes' filesystem, from the nearest directory that exists.
    std::string probe = root;
    while (!probe.empty() && !std::filesystem::exists(probe, error)) {
      probe = std::filesystem::path(probe).parent_path().string();
      if (probe == "/") break;
    }
    if (auto space = SpaceOf(probe.empty() ? "/" : probe)) {
      storage.filesystem_bytes = space->size_bytes;
      storage.filesystem_used_bytes = space->used_bytes;
      storage.filesystem_available_bytes = space->available_bytes;
    }
    return storage;
  });
}

int64_t StatusTrees::DirectoryBytes(const std::string& path) {
  return engine_->directories.Get(path, [&]() -> int64_t {
    auto usage = MeasureDiskUsage(path);
    return usage ? usage->bytes : 0;
  });
}

StatusTree StatusTrees::Of(const store::Deployment& d,
                           const std::optional<controller::DeploymentStatus>& status) {
  int64_t now = sources_.clock != nullptr ? sources_.clock->NowUnix() : 0;
  StatusTree tree;
  tree.project = d.project;
  tree.deployment = d.name;
  tree.stage = d.stage;
  tree.size = {.cpu_millis = d.cpu_millis, .memory_bytes = d.memory_bytes};
  tree.generated_at = now;
  if (status) {
    tree.phase = controller::PhaseName(status->phase);
    tree.colour = status->colour;
    tree.reasons = status->reasons;
    tree.endpoints = status->endpoints;
    tree.observed_at = status->observed_at;
  } else {
    // Not observed yet (the server just started): what the store last recorded.
    tree.phase = d.phase;
    tree.colour = ColourOfPhase(d.phase);
    if (!d.reason.empty()) tree.reasons.push_back(d.reason);
  }

  // Containers: the controller's services first, each with its current container as the
  // engine sees it; then containers the controller does not name (a rollout's previous
  // version, or everything before the controller's first look).
  std::shared_ptr<const Snapshot> snapshot = EngineSnapshot(d.id);
  tree.engine_error = snapshot->error;
  std::vector<bool> used(snapshot->containers.size(), false);
  auto fill = [&](ContainerNode& node, const Snapshot::Item& item) {
    const runtime::ContainerInfo& info = item.info;
    node.container = info.name;
    node.engine_state = std::string(runtime::ContainerStateName(info.state));
    if (info.started_unix > 0) node.started_at = info.started_unix;
    if (info.state == runtime::ContainerState::kRunning && node.started_at > 0 && now > 0) {
      node.uptime_seconds = std::max<int64_t>(0, now - node.started_at);
    }
    if (info.state == runtime::ContainerState::kExited ||
        info.state == runtime::ContainerState::kDead) {
      node.last_exit_code = info.exit_code;
    }
    node.oom_killed = info.oom_killed;
    if (item.stats) {
      node.cpu_percent = item.stats->cpu_percent;
      node.cpu_seconds = static_cast<double>(item.stats->cpu_total_ns) / 1e9;
      node.memory_bytes = item.stats->memory_bytes;
      node.memory_limit_bytes = item.stats->memory_limit_bytes;
      node.stats_read_at = item.stats_at;
    }
  };
  if (status) {
    for (const controller::ServiceStatus& service : status->services) {
      ContainerNode node;
      node.service = service.id;
      node.addon = service.addon;
      node.state = std::string(controller::ServiceStateName(service.state));
      node.health = std::string(controller::HealthStateName(service.health));
      node.restarts = service.restarts;
      node.started_at = service.started_at;
      node.last_exit_code = service.last_exit_code;
      node.reason = service.reason;
      node.container = service.container;
      for (size_t i = 0; i < snapshot->containers.size(); ++i) {
        if (!used[i] && !service.container.empty() &&
            snapshot->containers[i].info.name == service.container) {
          used[i] = true;
          fill(node, snapshot->containers[i]);
        }
      }
      tree.containers.push_back(std::move(node));
    }
  }
  for (size_t i = 0; i < snapshot->containers.size(); ++i) {
    if (used[i]) continue;
    const Snapshot::Item& item = snapshot->containers[i];
    ContainerNode node;
    node.service = LabelOf(item.info.labels, runtime::kLabelComponent);
    bool known = false;
    for (const ContainerNode& other : tree.containers) known |= other.service == node.service;
    node.previous = known && status.has_value();
    node.state = node.previous ? "previous" : std::string(runtime::ContainerStateName(item.info.state));
    if (status) {
      for (const controller::ServiceStatus& service : status->services) {
        if (service.id == node.service) node.addon = service.addon;
      }
    }
    fill(node, item);
    tree.containers.push_back(std::move(node));
  }

  tree.storage = Storage(d);

  if (sources_.builds != nullptr) {
    if (auto builds = sources_.builds->List(d.id, options_.builds)) {
      for (const store::BuildRecord& build : *builds) {
        BuildNode node{.id = build.id,
                       .commit = build.commit,
                       .state = std::string(store::BuildStateName(build.state)),
                       .error = build.error,
                       .queued_at = build.queued_at,
                       .started_at = build.started_at.value_or(0),
                       .finished_at = build.finished_at.value_or(0)};
        if (build.started_at) {
          int64_t end = build.finished_at.value_or(now);
          node.duration_seconds = std::max<int64_t>(0, end - *build.started_at);
        }
        tree.builds.push_back(std::move(node));
      }
    }
  }

  for (const controller::EndpointStatus& endpoint : tree.endpoints) {
    for (const auto& host : endpoint.hosts) {
      tree.certificates.push_back({.host = host.name,
                                   .endpoint = endpoint.id,
                                   .custom = host.custom,
                                   .state = host.certificate.state,
                                   .issuer = host.certificate.issuer,
                                   .expires_at = host.certificate.not_after,
                                   .error = host.certificate.error});
    }
  }

  ApplyColourRules(tree, d.desired == store::Desired::kRunning, now, options_.thresholds);
  return tree;
}

std::vector<StatusTree> StatusTrees::OfAll(const std::vector<store::Deployment>& all,
                                           const StatusSource& status_of) {
  std::vector<StatusTree> trees(all.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < all.size();) trees[i] = Of(all[i], status_of(all[i]));
  };
  size_t threads = std::min<size_t>(all.size(), 4);
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  return trees;
}

}  // namespace yard::deployments
