#include "deployments/resource_sampler.h"

#include <algorithm>

#include "base/log.h"

namespace yard::deployments {

ResourceSampler::ResourceSampler(store::DeploymentStore& deployments, StatusTrees& trees,
                                 StatusTrees::StatusSource status_of,
                                 store::ResourceSampleStore& samples, const Clock& clock,
                                 ResourceSamplerOptions options)
    : deployments_(deployments),
      trees_(trees),
      status_of_(std::move(status_of)),
      samples_(samples),
      clock_(clock),
      options_(options) {}

std::vector<store::ResourceSample> ResourceSampler::SamplesOf(int64_t deployment_id,
                                                              const StatusTree& tree,
                                                              Readings& next) const {
  // Services in the tree's order: the controller's first, then any it does not name.
  std::vector<std::string> services;
  for (const ContainerNode& node : tree.containers) {
    if (!node.service.empty() &&
        std::find(services.begin(), services.end(), node.service) == services.end()) {
      services.push_back(node.service);
    }
  }
  const VolumeNode* code = nullptr;
  for (const VolumeNode& volume : tree.storage.volumes) {
    if (volume.service.empty()) code = &volume;
  }

  std::vector<store::ResourceSample> out;
  for (const std::string& service : services) {
    store::ResourceSample sample{.deployment_id = deployment_id,
                                 .component = service,
                                 .at = tree.generated_at};
    bool running = false, addon = false;
    double cpu = 0;
    bool cpu_known = false;
    int64_t memory = 0;
    for (const ContainerNode& node : tree.containers) {
      if (node.service != service) continue;
      addon |= node.addon;
      // Statistics are read only from running containers: their presence says it runs.
      if (node.engine_state != "running" || !node.memory_bytes) continue;
      running = true;
      memory += *node.memory_bytes;
      std::optional<double> share;
      auto previous = readings_.find(node.container);
      if (node.cpu_seconds && previous != readings_.end()) {
        const Reading& before = previous->second;
        double elapsed = std::chrono::duration<double>(node.stats_read_at - before.at).count();
        if (node.stats_read_at == before.at) {
          share = before.share;  // the same cached reading as last pass
        } else if (elapsed > 0 && *node.cpu_seconds >= before.cpu_seconds) {
          share = (*node.cpu_seconds - before.cpu_seconds) / elapsed * 100;
        }
      }
      // A first reading, or a counter that went back (the container was recreated under
      // the same name): the engine's own share.
      if (!share) share = node.cpu_percent;
      if (share) {
        cpu += *share;
        cpu_known = true;
      }
      if (node.cpu_seconds) {
        next[node.container] = {.cpu_seconds = *node.cpu_seconds,
                                .at = node.stats_read_at,
                                .share = share.value_or(0)};
      }
    }
    if (running) {
      if (cpu_known) sample.cpu_percent = cpu;
      sample.memory_bytes = memory;
      int64_t disk = 0;
      for (const VolumeNode& volume : tree.storage.volumes) {
        if (volume.service == service) disk += volume.bytes;
      }
      if (code != nullptr && !addon) disk += code->bytes;
      sample.disk_bytes = disk;
    }
    out.push_back(std::move(sample));
  }
  return out;
}

Status ResourceSampler::Sample() {
  std::vector<store::Deployment> running;
  for (store::Deployment& d : TRY(deployments_.ListAll())) {
    if (d.desired == store::Desired::kRunning) running.push_back(std::move(d));
  }
  std::lock_guard lock(mutex_);  // one pass at a time
  std::vector<StatusTree> trees = trees_.OfAll(running, status_of_);
  std::vector<store::ResourceSample> samples;
  Readings next;
  for (size_t i = 0; i < running.size(); ++i) {
    std::vector<store::ResourceSample> some = SamplesOf(running[i].id, trees[i], next);
    samples.insert(samples.end(), some.begin(), some.end());
  }
  // Containers gone since the last pass are forgotten.
  readings_ = std::move(next);
  return samples_.Insert(samples);
}

Status ResourceSampler::Prune() {
  int removed = TRY(samples_.DeleteBefore(clock_.NowUnix() - options_.retention.count()));
  if (removed > 0) log::Debug("resource samples: removed {} older than {} h", removed,
                              options_.retention.count() / 3600);
  return Ok();
}

}  // namespace yard::deployments
