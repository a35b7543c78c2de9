#include "store/resource_samples.h"

#include <algorithm>

namespace yard::store {

Status ResourceSampleStore::Insert(const std::vector<ResourceSample>& samples) {
  if (samples.empty()) return Ok();
  auto transaction = TRY(db_.Begin());
  for (const ResourceSample& sample : samples) {
    // A statement per row: a stepped one cannot be bound again without a reset.
    auto insert = TRY(db_.Prepare(
        "INSERT INTO resource_samples (deployment_id, component, at, cpu_percent, "
        "memory_bytes, disk_bytes) VALUES (?, ?, ?, ?, ?, ?)"));
    TRY(insert
            .BindAll(sample.deployment_id, sample.component, sample.at, sample.cpu_percent,
                     sample.memory_bytes, sample.disk_bytes)
            .Run());
  }
  return transaction.Commit();
}

Result<std::vector<ResourceSample>> ResourceSampleStore::List(const ResourceQuery& query) {
  auto lock = db_.Lock();
  // Raw samples are steps of one second (at / 1 * 1 = at): one statement for both. A step's
  // averages leave out its missing figures (AVG skips NULLs) and are NULL when all are.
  int64_t step = std::max<int64_t>(1, query.step_seconds);
  auto select = TRY(db_.Prepare(
      "SELECT component, at / ?1 * ?1 AS step, AVG(cpu_percent), "
      "CAST(ROUND(AVG(memory_bytes)) AS INTEGER), CAST(ROUND(AVG(disk_bytes)) AS INTEGER) "
      "FROM resource_samples WHERE deployment_id = ?2 AND at >= ?3 AND at < ?4 "
      "GROUP BY component, step ORDER BY component, step"));
  select.BindAll(step, query.deployment_id, query.from, query.to);
  std::vector<ResourceSample> out;
  while (TRY(select.Step())) {
    out.push_back({.deployment_id = query.deployment_id,
                   .component = select.ColumnText(0),
                   .at = select.ColumnInt(1),
                   .cpu_percent = select.ColumnOptionalDouble(2),
                   .memory_bytes = select.ColumnOptionalInt(3),
                   .disk_bytes = select.ColumnOptionalInt(4)});
  }
  return out;
}

Result<int> ResourceSampleStore::DeleteBefore(int64_t before) {
  auto lock = db_.Lock();
  auto statement = TRY(db_.Prepare("DELETE FROM resource_samples WHERE at < ?"));
  TRY(statement.BindAll(before).Run());
  return db_.Changes();
}

}  // namespace yard::store
