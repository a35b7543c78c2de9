#include "store/trash.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace yard::store {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kColumns =
    "t.id, t.project_id, p.name, t.name, t.stage, t.deployment_id, t.path, t.snapshot, "
    "t.deleted_at, t.deleted_by, COALESCE(u.name, ''), t.purge_at";

TrashEntry ReadEntry(const Statement& row) {
  TrashEntry entry;
  entry.id = row.ColumnInt(0);
  entry.project_id = row.ColumnInt(1);
  entry.project = row.ColumnText(2);
  entry.name = row.ColumnText(3);
  entry.stage = row.ColumnText(4);
  entry.deployment_id = row.ColumnInt(5);
  entry.path = row.ColumnText(6);
  entry.snapshot = row.ColumnText(7);
  entry.deleted_at = row.ColumnInt(8);
  entry.deleted_by = row.ColumnOptionalInt(9);
  entry.deleted_by_name = row.ColumnText(10);
  entry.purge_at = row.ColumnInt(11);
  return entry;
}

template <typename Value>
std::map<std::string, Value> MapOf(const Json& json, const char* key) {
  std::map<std::string, Value> out;
  const Json& member = json.value(key, Json::object());
  if (!member.is_object()) return out;
  for (const auto& [name, value] : member.items()) {
    if constexpr (std::is_same_v<Value, std::string>) {
      if (value.is_string()) out[name] = value.template get<std::string>();
    } else {
      if (value.is_number_integer()) out[name] = value.template get<Value>();
    }
  }
  return out;
}

}  // namespace

std::string WriteSnapshot(const TrashSnapshot& snapshot) {
  const Deployment& d = snapshot.deployment;
  Json domains = Json::array();
  for (const auto& [endpoint, hostname] : snapshot.domains) {
    domains.push_back({{"endpoint", endpoint}, {"hostname", hostname}});
  }
  Json json = {{"version", 1},
               {"deployment",
                {{"name", d.name},
                 {"stage", d.stage},
                 {"branch", d.branch},
                 {"params", d.params},
                 {"env", d.env},
                 {"cpu_millis", d.cpu_millis},
                 {"memory_bytes", d.memory_bytes},
                 {"target_commit", d.target_commit},
                 {"release_commit", d.release_commit},
                 {"auto_deploy", d.auto_deploy},
                 {"created_at", d.created_at},
                 {"created_by", d.created_by},
                 {"preview_branch", d.preview_branch ? Json(*d.preview_branch) : Json(nullptr)}}},
               {"values", snapshot.values},
               {"domains", domains}};
  return json.dump();
}

Result<TrashSnapshot> ReadSnapshot(const std::string& text) {
  Json json = Json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("deployment") || !json["deployment"].is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument, "the trash entry's snapshot is damaged");
  }
  const Json& row = json["deployment"];
  TrashSnapshot snapshot;
  Deployment& d = snapshot.deployment;
  auto text_of = [&row](const char* key) {
    const Json& value = row.value(key, Json());
    return value.is_string() ? value.get<std::string>() : std::string();
  };
  auto int_of = [&row](const char* key) {
    const Json& value = row.value(key, Json());
    return value.is_number_integer() ? value.get<int64_t>() : int64_t{0};
  };
  d.name = text_of("name");
  d.stage = text_of("stage");
  d.branch = text_of("branch");
  d.params = MapOf<std::string>(row, "params");
  d.env = MapOf<std::string>(row, "env");
  d.cpu_millis = int_of("cpu_millis");
  d.memory_bytes = int_of("memory_bytes");
  d.target_commit = text_of("target_commit");
  d.release_commit = text_of("release_commit");
  d.auto_deploy = row.value("auto_deploy", true);
  d.created_at = int_of("created_at");
  d.created_by = int_of("created_by");
  if (row.value("preview_branch", Json()).is_string()) d.preview_branch = text_of("preview_branch");
  if (d.name.empty() || d.stage.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "the trash entry's snapshot has no deployment name or stage");
  }
  snapshot.values = MapOf<std::string>(json, "values");
  for (const Json& domain : json.value("domains", Json::array())) {
    if (!domain.is_object()) continue;
    std::string endpoint = domain.value("endpoint", "");
    std::string hostname = domain.value("hostname", "");
    if (!hostname.empty()) snapshot.domains.emplace_back(endpoint, hostname);
  }
  return snapshot;
}

Result<TrashSnapshot> SnapshotOf(DeploymentStore& deployments, DomainStore* domains,
                                 const Deployment& d) {
  TrashSnapshot snapshot;
  snapshot.deployment = d;
  snapshot.values = TRY(deployments.Values(d.id));
  if (domains != nullptr) {
    for (const Domain& domain : TRY(domains->ListForDeployment(d.id))) {
      snapshot.domains.emplace_back(domain.endpoint, domain.hostname);
    }
  }
  return snapshot;
}

bool Records(const TrashEntry& entry, const Deployment& d) {
  if (entry.deployment_id != d.id || entry.project_id != d.project_id || entry.name != d.name) {
    return false;
  }
  auto snapshot = ReadSnapshot(entry.snapshot);
  return !snapshot || snapshot->deployment.created_at == d.created_at;
}

Result<TrashEntry> TrashStore::Add(TrashEntry entry) {
  auto lock = db_.Lock();
  if (entry.deleted_at == 0) entry.deleted_at = clock_.NowUnix();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO trash (project_id, name, stage, deployment_id, path, snapshot, deleted_at, "
      "deleted_by, purge_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert
          .BindAll(entry.project_id, entry.name, entry.stage, entry.deployment_id, entry.path,
                   entry.snapshot, entry.deleted_at, entry.deleted_by, entry.purge_at)
          .Run());
  return Find(db_.LastInsertRowId());
}

Result<std::vector<TrashEntry>> TrashStore::Query(std::string_view where,
                                                  const std::vector<std::string>& args,
                                                  std::string_view order) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      fmt::format("SELECT {} FROM trash t JOIN projects p ON p.id = t.project_id "
                  "LEFT JOIN users u ON u.id = t.deleted_by {} ORDER BY {}",
                  kColumns, where, order)));
  for (size_t i = 0; i < args.size(); ++i) query.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<TrashEntry> out;
  while (TRY(query.Step())) out.push_back(ReadEntry(query));
  return out;
}

Result<TrashEntry> TrashStore::Find(int64_t id) {
  auto rows = TRY(Query("WHERE t.id = CAST(? AS INTEGER)", {std::to_string(id)}, "t.id"));
  if (rows.empty()) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("trash entry {} not found", id));
  }
  return std::move(rows.front());
}

Result<std::optional<TrashEntry>> TrashStore::FindByDeployment(const Deployment& d) {
  auto rows = TRY(Query("WHERE t.deployment_id = CAST(? AS INTEGER)", {std::to_string(d.id)},
                        "t.id DESC"));
  for (TrashEntry& entry : rows) {
    if (Records(entry, d)) return std::optional<TrashEntry>(std::move(entry));
  }
  return std::optional<TrashEntry>();
}

Result<std::vector<TrashEntry>> TrashStore::ListForProject(int64_t project_id) {
  return Query("WHERE t.project_id = CAST(? AS INTEGER)", {std::to_string(project_id)},
               "t.deleted_at DESC, t.id DESC");
}

Result<std::vector<TrashEntry>> TrashStore::ListAll() {
  return Query("", {}, "t.deleted_at DESC, t.id DESC");
}

Result<std::vector<TrashEntry>> TrashStore::DueForPurge(int64_t now) {
  return Query("WHERE t.purge_at <= CAST(? AS INTEGER)", {std::to_string(now)},
               "t.purge_at, t.id");
}

Status TrashStore::Remove(int64_t id) {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM trash WHERE id = ?"));
  TRY(remove.BindAll(id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("trash entry {} not found", id));
  }
  return Ok();
}

}  // namespace yard::store
