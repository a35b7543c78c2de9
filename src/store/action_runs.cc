#include "store/action_runs.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "id, deployment_id, service, action, command, state, exit_code, error, started_at, "
    "finished_at, started_by";

constexpr RunState kStates[] = {RunState::kRunning, RunState::kSucceeded, RunState::kFailed,
                                RunState::kInterrupted};

// The command column is written here only: a value that does not parse is a damaged row, read
// as an empty command rather than taking a listing down.
std::vector<std::string> ReadCommand(const std::string& text) {
  std::vector<std::string> out;
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) return out;
  for (const auto& word : json) {
    if (word.is_string()) out.push_back(word.get<std::string>());
  }
  return out;
}

ActionRun ReadRun(const Statement& row) {
  ActionRun r;
  r.id = row.ColumnInt(0);
  r.deployment_id = row.ColumnInt(1);
  r.service = row.ColumnText(2);
  r.action = row.ColumnText(3);
  r.command = ReadCommand(row.ColumnText(4));
  r.state = ParseRunState(row.ColumnText(5)).value_or(RunState::kFailed);
  if (auto code = row.ColumnOptionalInt(6)) r.exit_code = static_cast<int>(*code);
  r.error = row.ColumnText(7);
  r.started_at = row.ColumnInt(8);
  r.finished_at = row.ColumnOptionalInt(9);
  r.started_by = row.ColumnOptionalInt(10);
  return r;
}

}  // namespace

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning: return "running";
    case RunState::kSucceeded: return "succeeded";
    case RunState::kFailed: return "failed";
    case RunState::kInterrupted: return "interrupted";
  }
  return "failed";
}

Result<RunState> ParseRunState(std::string_view name) {
  for (RunState state : kStates) {
    if (RunStateName(state) == name) return state;
  }
  return Unexpected(ErrorCode::kInvalidArgument, fmt::format("unknown run state '{}'", name));
}

Result<std::vector<ActionRun>> ActionRunStore::Query(const std::string& where_and_order,
                                                     const std::vector<std::string>& args) {
  auto lock = db_.Lock();
  auto query =
      TRY(db_.Prepare(fmt::format("SELECT {} FROM action_runs {}", kColumns, where_and_order)));
  for (size_t i = 0; i < args.size(); ++i) query.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<ActionRun> out;
  while (TRY(query.Step())) out.push_back(ReadRun(query));
  return out;
}

Result<ActionRun> ActionRunStore::Start(int64_t deployment_id, const std::string& service,
                                        const std::string& action,
                                        const std::vector<std::string>& command,
                                        std::optional<int64_t> started_by) {
  std::string argv;
  try {
    argv = nlohmann::json(command).dump();
  } catch (const nlohmann::json::type_error&) {
    return Unexpected(ErrorCode::kInvalidArgument, "the command is not valid UTF-8");
  }
  auto lock = db_.Lock();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO action_runs (deployment_id, service, action, command, state, started_at, "
      "started_by) VALUES (?, ?, ?, ?, 'running', ?, ?)"));
  TRY(insert.BindAll(deployment_id, service, action, argv, clock_.NowUnix(), started_by).Run());
  return Find(db_.LastInsertRowId());
}

Status ActionRunStore::Finish(int64_t id, RunState state, std::optional<int> exit_code,
                              const std::string& error) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      "UPDATE action_runs SET state = ?, exit_code = ?, error = ?, finished_at = ? "
      "WHERE id = ? AND state = 'running'"));
  TRY(update.BindAll(RunStateName(state), exit_code, error, clock_.NowUnix(), id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kFailedPrecondition, fmt::format("run {} is not running", id));
  }
  return Ok();
}

Result<std::vector<ActionRun>> ActionRunStore::InterruptRunning(const std::string& why) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  auto running = TRY(Query("WHERE state = 'running' ORDER BY id", {}));
  auto update = TRY(db_.Prepare(
      "UPDATE action_runs SET state = 'interrupted', error = ?, finished_at = ? "
      "WHERE state = 'running'"));
  TRY(update.BindAll(why, clock_.NowUnix()).Run());
  TRY(transaction.Commit());
  return running;
}

Result<ActionRun> ActionRunStore::Find(int64_t id) {
  auto rows = TRY(Query("WHERE id = CAST(? AS INTEGER)", {std::to_string(id)}));
  if (rows.empty()) return Unexpected(ErrorCode::kNotFound, fmt::format("run {} not found", id));
  return std::move(rows.front());
}

Result<std::vector<ActionRun>> ActionRunStore::List(int64_t deployment_id, int limit) {
  return Query(
      "WHERE deployment_id = CAST(? AS INTEGER) ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
      {std::to_string(deployment_id), std::to_string(limit)});
}

}  // namespace yard::store
