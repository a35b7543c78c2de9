#include "store/builds.h"

#include <fmt/core.h>

#include "store/json_columns.h"

namespace yard::store {
namespace {

using internal::ReadMap;
using internal::WriteMap;

constexpr std::string_view kColumns =
    "id, deployment_id, commit_id, nonce, state, reason, error, images, queued_at, started_at, "
    "finished_at, requested_by";

BuildRecord ReadBuild(const Statement& row) {
  BuildRecord b;
  b.id = row.ColumnInt(0);
  b.deployment_id = row.ColumnInt(1);
  b.commit = row.ColumnText(2);
  b.nonce = row.ColumnInt(3);
  b.state = ParseBuildState(row.ColumnText(4)).value_or(BuildState::kFailed);
  b.reason = row.ColumnText(5);
  b.error = row.ColumnText(6);
  b.images = ReadMap<std::string>(row.ColumnText(7));
  b.queued_at = row.ColumnInt(8);
  b.started_at = row.ColumnOptionalInt(9);
  b.finished_at = row.ColumnOptionalInt(10);
  b.requested_by = row.ColumnOptionalInt(11);
  return b;
}

constexpr BuildState kStates[] = {BuildState::kQueued,    BuildState::kRunning,
                                  BuildState::kSucceeded, BuildState::kFailed,
                                  BuildState::kCancelled, BuildState::kInterrupted};

}  // namespace

std::string_view BuildStateName(BuildState state) {
  switch (state) {
    case BuildState::kQueued: return "queued";
    case BuildState::kRunning: return "running";
    case BuildState::kSucceeded: return "succeeded";
    case BuildState::kFailed: return "failed";
    case BuildState::kCancelled: return "cancelled";
    case BuildState::kInterrupted: return "interrupted";
  }
  return "failed";
}

Result<BuildState> ParseBuildState(std::string_view name) {
  for (BuildState state : kStates) {
    if (BuildStateName(state) == name) return state;
  }
  return Unexpected(ErrorCode::kInvalidArgument, fmt::format("unknown build state '{}'", name));
}

bool IsFinished(BuildState state) {
  return state != BuildState::kQueued && state != BuildState::kRunning;
}

Result<std::vector<BuildRecord>> BuildStore::Query(const std::string& where_and_order,
                                                   const std::vector<std::string>& args) {
  auto lock = db_.Lock();
  auto query =
      TRY(db_.Prepare(fmt::format("SELECT {} FROM builds {}", kColumns, where_and_order)));
  for (size_t i = 0; i < args.size(); ++i) query.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<BuildRecord> out;
  while (TRY(query.Step())) out.push_back(ReadBuild(query));
  return out;
}

Result<BuildRecord> BuildStore::Enqueue(int64_t deployment_id, const std::string& commit,
                                        int64_t nonce, const std::string& reason,
                                        std::optional<int64_t> requested_by) {
  auto lock = db_.Lock();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO builds (deployment_id, commit_id, nonce, state, reason, queued_at, "
      "requested_by) VALUES (?, ?, ?, 'queued', ?, ?, ?)"));
  TRY(insert.BindAll(deployment_id, commit, nonce, reason, clock_.NowUnix(), requested_by).Run());
  return Find(db_.LastInsertRowId());
}

Result<std::optional<BuildRecord>> BuildStore::ClaimNext() {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  auto next = TRY(Query("WHERE state = 'queued' ORDER BY id LIMIT 1", {}));
  if (next.empty()) return std::optional<BuildRecord>();
  auto update =
      TRY(db_.Prepare("UPDATE builds SET state = 'running', started_at = ? WHERE id = ?"));
  TRY(update.BindAll(clock_.NowUnix(), next.front().id).Run());
  TRY(transaction.Commit());
  return std::optional<BuildRecord>(TRY(Find(next.front().id)));
}

Status BuildStore::Finish(int64_t id, BuildState state, const std::string& error,
                          const std::map<std::string, std::string>& images) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      "UPDATE builds SET state = ?, error = ?, images = ?, finished_at = ? "
      "WHERE id = ? AND state = 'running'"));
  TRY(update.BindAll(BuildStateName(state), error, WriteMap(images), clock_.NowUnix(), id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("build {} is not running", id));
  }
  return Ok();
}

Result<bool> BuildStore::CancelQueued(int64_t id, const std::string& why) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      "UPDATE builds SET state = 'cancelled', error = ?, finished_at = ? "
      "WHERE id = ? AND state = 'queued'"));
  TRY(update.BindAll(why, clock_.NowUnix(), id).Run());
  return db_.Changes() > 0;
}

Result<std::vector<BuildRecord>> BuildStore::Supersede(int64_t deployment_id,
                                                       const std::string& commit, int64_t nonce) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  auto stale = TRY(Query(
      "WHERE deployment_id = CAST(? AS INTEGER) AND state IN ('queued', 'running') AND "
      "NOT (commit_id = ? AND nonce = CAST(? AS INTEGER)) ORDER BY id",
      {std::to_string(deployment_id), commit, std::to_string(nonce)}));
  std::vector<BuildRecord> running;
  for (BuildRecord& build : stale) {
    if (build.state == BuildState::kQueued) {
      TRY(CancelQueued(build.id, fmt::format("superseded by {}", commit.substr(0, 12))));
    } else {
      running.push_back(std::move(build));
    }
  }
  TRY(transaction.Commit());
  return running;
}

Result<std::vector<BuildRecord>> BuildStore::InterruptRunning(const std::string& why) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  auto running = TRY(Query("WHERE state = 'running' ORDER BY id", {}));
  auto update = TRY(db_.Prepare(
      "UPDATE builds SET state = 'interrupted', error = ?, finished_at = ? "
      "WHERE state = 'running'"));
  TRY(update.BindAll(why, clock_.NowUnix()).Run());
  TRY(transaction.Commit());
  return running;
}

Result<BuildRecord> BuildStore::Find(int64_t id) {
  auto rows = TRY(Query("WHERE id = CAST(? AS INTEGER)", {std::to_string(id)}));
  if (rows.empty()) return Unexpected(ErrorCode::kNotFound, fmt::format("build {} not found", id));
  return std::move(rows.front());
}

Result<std::vector<BuildRecord>> BuildStore::List(int64_t deployment_id, int limit) {
  return Query("WHERE deployment_id = CAST(? AS INTEGER) ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
               {std::to_string(deployment_id), std::to_string(limit)});
}

Result<BuildStore::TargetBuilds> BuildStore::ForTarget(int64_t deployment_id,
                                                    const std::string& commit, int64_t nonce) {
  auto rows = TRY(Query(
      "WHERE deployment_id = CAST(? AS INTEGER) AND commit_id = ? AND nonce = CAST(? AS INTEGER) "
      "ORDER BY id DESC",
      {std::to_string(deployment_id), commit, std::to_string(nonce)}));
  TargetBuilds out;
  if (!rows.empty()) out.latest = rows.front();
  for (const BuildRecord& build : rows) {
    if (build.state == BuildState::kInterrupted) ++out.interrupted;
  }
  return out;
}

Result<std::vector<BuildRecord>> BuildStore::Active() {
  return Query("WHERE state IN ('queued', 'running') ORDER BY id", {});
}

Result<std::set<std::string>> BuildStore::ImagesBuiltSince(int64_t since_unix) {
  std::set<std::string> out;
  for (const BuildRecord& build :
       TRY(Query("WHERE state = 'succeeded' AND finished_at >= CAST(? AS INTEGER)",
                 {std::to_string(since_unix)}))) {
    for (const auto& [service, image] : build.images) out.insert(image);
  }
  return out;
}

Result<int> BuildStore::QueuePosition(int64_t id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      "SELECT COUNT(*) FROM builds WHERE state = 'queued' AND id <= ? AND "
      "EXISTS (SELECT 1 FROM builds WHERE id = ? AND state = 'queued')"));
  query.BindAll(id, id);
  TRY(query.Step());
  return static_cast<int>(query.ColumnInt(0));
}

}  // namespace yard::store
