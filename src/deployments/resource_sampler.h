#pragma once

// The history behind the dashboard's resource graphs and `yard resources`: every running
// deployment's services (components and add-ons), sampled by the server every
// --resource-sample-interval (30 s) into the resource_samples table and kept 25 hours
// (docs/metrics.md "Resource history").
//
// The figures are the status tree's (status_tree.h), so a pass asks the engine no more than a
// dashboard does: one list per deployment, one inspect and one stats call per container, and
// nothing when the engine was never started. Per service, summed over its containers (two
// during a rollout):
// - CPU: the share of one core between this pass's reading of the container's CPU counter and
//   the previous pass's, so that a sample is the average since the last one rather than the
//   moment's; a container's first sample has the engine's own share (two readings 500 ms
//   apart, runtime.h).
// - memory: what the engine reports in use.
// - disk: the bytes of the volumes the service mounts: its own data volumes and, for a
//   component of a development stage, the code volume (shared by every component, so counted
//   in each).
// A service the controller knows that has no running container gets a sample with no figures,
// which the graphs draw as a gap.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "deployments/status_tree.h"
#include "store/deployments.h"
#include "store/resource_samples.h"

namespace yard::deployments {

struct ResourceSamplerOptions {
  /// Samples older than this go at the next Prune.
  std::chrono::seconds retention{25 * 3600};
};

/// Thread-safe; meant to run on a PeriodicTask of its own (server.cc).
class ResourceSampler {
 public:
  ResourceSampler(store::DeploymentStore& deployments, StatusTrees& trees,
                  StatusTrees::StatusSource status_of, store::ResourceSampleStore& samples,
                  const Clock& clock, ResourceSamplerOptions options = {});

  /// One pass: a sample of each service of each deployment that should be running, written in
  /// one transaction.
  Status Sample();
  /// Removes the samples older than the retention.
  Status Prune();

 private:
  // A container's CPU counter when last read, and the share computed then (repeated while the
  // status tree serves the same cached reading).
  struct Reading {
    double cpu_seconds = 0;
    std::chrono::steady_clock::time_point at{};
    double share = 0;
  };
  using Readings = std::map<std::string, Reading>;  // by container name

  // Each service's sample from one deployment's tree; records the containers' readings in
  // `next`.
  std::vector<store::ResourceSample> SamplesOf(int64_t deployment_id, const StatusTree& tree,
                                               Readings& next) const;

  store::DeploymentStore& deployments_;
  StatusTrees& trees_;
  const StatusTrees::StatusSource status_of_;
  store::ResourceSampleStore& samples_;
  const Clock& clock_;
  const ResourceSamplerOptions options_;
  std::mutex mutex_;
  Readings readings_;  // of the last pass; guarded by mutex_
};

}  // namespace yard::deployments
