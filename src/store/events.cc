#include "store/events.h"

#include <fmt/core.h>

#include <algorithm>
#include <variant>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "id, at, project_id, project, deployment_id, deployment, actor_id, actor, kind, message, "
    "data";

EventRecord ReadEvent(const Statement& row) {
  EventRecord e;
  e.id = row.ColumnInt(0);
  e.at_ms = row.ColumnInt(1);
  e.project_id = row.ColumnOptionalInt(2);
  e.project = row.ColumnText(3);
  e.deployment_id = row.ColumnOptionalInt(4);
  e.deployment = row.ColumnText(5);
  e.actor_id = row.ColumnOptionalInt(6);
  e.actor = row.ColumnText(7);
  e.kind = row.ColumnText(8);
  e.message = row.ColumnText(9);
  e.data = nlohmann::json::parse(row.ColumnText(10), nullptr, false);
  if (!e.data.is_object()) e.data = nlohmann::json::object();
  return e;
}

}  // namespace

Status EventStore::FillNames(EventRecord& event) {
  if (event.deployment_id && (!event.project_id || event.project.empty() ||
                              event.deployment.empty())) {
    auto query = TRY(db_.Prepare(
        "SELECT d.project_id, p.name, d.name FROM deployments d JOIN projects p "
        "ON p.id = d.project_id WHERE d.id = ?"));
    query.BindAll(*event.deployment_id);
    if (TRY(query.Step())) {
      if (!event.project_id) event.project_id = query.ColumnInt(0);
      if (event.project.empty()) event.project = query.ColumnText(1);
      if (event.deployment.empty()) event.deployment = query.ColumnText(2);
    }
  }
  if (event.project_id && event.project.empty()) {
    auto query = TRY(db_.Prepare("SELECT name FROM projects WHERE id = ?"));
    query.BindAll(*event.project_id);
    if (TRY(query.Step())) event.project = query.ColumnText(0);
  }
  if (event.actor_id && event.actor.empty()) {
    auto query = TRY(db_.Prepare("SELECT name FROM users WHERE id = ?"));
    query.BindAll(*event.actor_id);
    if (TRY(query.Step())) event.actor = query.ColumnText(0);
  }
  return Ok();
}

Result<EventRecord> EventStore::Insert(EventRecord event) {
  auto lock = db_.Lock();
  TRY(FillNames(event));
  if (!event.data.is_object()) event.data = nlohmann::json{{"value", event.data}};
  auto insert = TRY(db_.Prepare(
      "INSERT INTO events (at, project_id, project, deployment_id, deployment, actor_id, actor, "
      "kind, message, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert
          .BindAll(event.at_ms, event.project_id, event.project, event.deployment_id,
                   event.deployment, event.actor_id, event.actor, event.kind, event.message,
                   event.data.dump())
          .Run());
  event.id = db_.LastInsertRowId();
  return event;
}

Result<std::vector<EventRecord>> EventStore::List(const EventQuery& query) {
  std::vector<std::string> conditions;
  std::vector<std::variant<int64_t, std::string>> args;
  if (query.project_id) {
    conditions.push_back("project_id = ?");
    args.emplace_back(*query.project_id);
  }
  if (!query.deployment.empty()) {
    conditions.push_back("deployment = ?");
    args.emplace_back(query.deployment);
  }
  if (!query.kind_prefix.empty()) {
    // substr rather than LIKE: no wildcards to escape, and case matters.
    conditions.push_back("substr(kind, 1, ?) = ?");
    args.emplace_back(static_cast<int64_t>(query.kind_prefix.size()));
    args.emplace_back(query.kind_prefix);
  }
  if (query.after_id) {
    conditions.push_back("id > ?");
    args.emplace_back(*query.after_id);
  }
  if (query.since_ms) {
    conditions.push_back("at >= ?");
    args.emplace_back(*query.since_ms);
  }
  if (query.visible_to) {
    conditions.push_back(
        "(project_id IN (SELECT project_id FROM project_members WHERE user_id = ?) OR "
        "(project_id IS NULL AND actor_id = ?))");
    args.emplace_back(*query.visible_to);
    args.emplace_back(*query.visible_to);
  }
  std::string where;
  for (size_t i = 0; i < conditions.size(); ++i) {
    where += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  }
  // Forward from a cursor takes the oldest, otherwise the newest; both are returned oldest
  // first.
  bool forward = query.after_id.has_value();
  std::string sql = fmt::format("SELECT {} FROM events{} ORDER BY id {} LIMIT ?", kColumns,
                                where, forward ? "ASC" : "DESC");
  auto lock = db_.Lock();
  auto statement = TRY(db_.Prepare(sql));
  int index = 0;
  for (const auto& arg : args) {
    std::visit([&](const auto& value) { statement.Bind(++index, value); }, arg);
  }
  statement.Bind(++index, static_cast<int64_t>(std::max(query.limit, 0)));
  std::vector<EventRecord> out;
  while (TRY(statement.Step())) out.push_back(ReadEvent(statement));
  if (!forward) std::reverse(out.begin(), out.end());
  return out;
}

Result<int64_t> EventStore::LastId() {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT COALESCE(MAX(id), 0) FROM events"));
  TRY(query.Step());
  return query.ColumnInt(0);
}

Result<int> EventStore::DeleteBefore(int64_t before_ms) {
  auto lock = db_.Lock();
  auto statement = TRY(db_.Prepare("DELETE FROM events WHERE at < ?"));
  TRY(statement.BindAll(before_ms).Run());
  return db_.Changes();
}

}  // namespace yard::store
