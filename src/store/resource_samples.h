#pragma once

// The resource_samples table (migration 9): each running component's CPU, memory and disk,
// sampled by the server every few seconds (deployments/resource_sampler.h) for the
// dashboard's graphs and `yard resources`. Rows are kept for a day and a bit, then pruned by
// age; they carry the deployment's id only (ids are never reused, so a new deployment of the
// same name starts with no history).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace yard::store {

struct ResourceSample {
  int64_t deployment_id = 0;
  std::string component;  // the service: a component or an add-on
  int64_t at = 0;         // Unix seconds
  /// Each nullopt where the component was not running (or the figure could not be read).
  std::optional<double> cpu_percent;  // of one core
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> disk_bytes;
};

/// Which samples to read: one deployment's, at `from` <= at < `to`.
struct ResourceQuery {
  int64_t deployment_id = 0;
  int64_t from = 0;
  int64_t to = 0;
  /// 0: every sample as taken. Otherwise each component's samples are averaged over steps of
  /// this many seconds (aligned on multiples of it since the epoch; `at` is the step's
  /// start), figures missing from every sample of a step staying nullopt.
  int64_t step_seconds = 0;
};

/// Thread-safe (the Database serialises).
class ResourceSampleStore {
 public:
  explicit ResourceSampleStore(Database& db) : db_(db) {}

  /// Appends one pass's samples in one transaction: all or none.
  Status Insert(const std::vector<ResourceSample>& samples);
  /// Ordered by component, then time.
  Result<std::vector<ResourceSample>> List(const ResourceQuery& query);
  /// Removes samples taken before `before` (Unix seconds); returns how many.
  Result<int> DeleteBefore(int64_t before);

 private:
  Database& db_;
};

}  // namespace yard::store
