#include "store/deployments.h"

#include <fmt/core.h>

#include "store/json_columns.h"

namespace yard::store {
namespace {

using internal::ReadMap;
using internal::WriteMap;

constexpr std::string_view kColumns =
    "d.id, d.project_id, p.name, d.name, d.stage, d.branch, d.params, d.env, d.cpu_millis, "
    "d.memory_bytes, d.desired, d.target_commit, d.release_commit, d.release_images, "
    "d.generations, d.phase, d.reason, d.created_at, d.created_by, d.updated_at, d.build_nonce, "
    "d.release_nonce, d.version, d.auto_deploy, d.followed_commit, d.preview_branch, d.expires_at, "
    "d.stop_at";

Deployment ReadDeployment(const Statement& row) {
  Deployment d;
  d.id = row.ColumnInt(0);
  d.project_id = row.ColumnInt(1);
  d.project = row.ColumnText(2);
  d.name = row.ColumnText(3);
  d.stage = row.ColumnText(4);
  d.branch = row.ColumnText(5);
  d.params = ReadMap<std::string>(row.ColumnText(6));
  d.env = ReadMap<std::string>(row.ColumnText(7));
  d.cpu_millis = row.ColumnInt(8);
  d.memory_bytes = row.ColumnInt(9);
  d.desired = ParseDesired(row.ColumnText(10)).value_or(Desired::kStopped);
  d.target_commit = row.ColumnText(11);
  d.release_commit = row.ColumnText(12);
  d.release_images = ReadMap<std::string>(row.ColumnText(13));
  d.generations = ReadMap<int64_t>(row.ColumnText(14));
  d.phase = row.ColumnText(15);
  d.reason = row.ColumnText(16);
  d.created_at = row.ColumnInt(17);
  d.created_by = row.ColumnInt(18);
  d.updated_at = row.ColumnInt(19);
  d.build_nonce = row.ColumnInt(20);
  d.release_nonce = row.ColumnInt(21);
  d.version = row.ColumnInt(22);
  d.auto_deploy = row.ColumnInt(23) != 0;
  d.followed_commit = row.ColumnText(24);
  if (!row.ColumnIsNull(25)) d.preview_branch = row.ColumnText(25);
  d.expires_at = row.ColumnOptionalInt(26);
  d.stop_at = row.ColumnOptionalInt(27);
  return d;
}

Status RequireChange(Database& db, int64_t id) {
  if (db.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("deployment {} not found", id));
  }
  return Ok();
}

}  // namespace

int64_t Deployment::GenerationOf(const std::string& service) const {
  auto it = generations.find(service);
  return it == generations.end() ? 1 : it->second;
}

std::string_view DesiredName(Desired desired) {
  switch (desired) {
    case Desired::kRunning: return "running";
    case Desired::kStopped: return "stopped";
    case Desired::kDeleted: return "deleted";
  }
  return "stopped";
}

Result<Desired> ParseDesired(std::string_view name) {
  for (Desired d : {Desired::kRunning, Desired::kStopped, Desired::kDeleted}) {
    if (DesiredName(d) == name) return d;
  }
  return Unexpected(ErrorCode::kInvalidArgument, fmt::format("unknown desired state '{}'", name));
}

Result<Deployment> DeploymentStore::Create(Deployment d) { return Insert(std::move(d), {}); }

Result<Deployment> DeploymentStore::Recreate(Deployment d) {
  int64_t id = d.id;
  return Insert(std::move(d), id);
}

Result<Deployment> DeploymentStore::Insert(Deployment d, std::optional<int64_t> id) {
  auto lock = db_.Lock();
  int64_t now = clock_.NowUnix();
  d.created_at = d.updated_at = now;
  auto insert = TRY(db_.Prepare(
      // A new id is the next of id_sequences (schema.cc): never one a deleted deployment had.
      "INSERT INTO deployments (id, project_id, name, stage, branch, params, env, cpu_millis, "
      "memory_bytes, desired, target_commit, phase, reason, created_at, created_by, updated_at, "
      "auto_deploy, followed_commit, preview_branch, expires_at) "
      "VALUES (COALESCE(?, (SELECT last + 1 FROM id_sequences WHERE name = 'deployments')), "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  Status inserted =
      insert
          .BindAll(id, d.project_id, d.name, d.stage, d.branch, WriteMap(d.params), WriteMap(d.env),
                   d.cpu_millis, d.memory_bytes, DesiredName(d.desired), d.target_commit, d.phase,
                   d.reason, d.created_at, d.created_by, d.updated_at, d.auto_deploy ? 1 : 0,
                   d.target_commit, d.preview_branch, d.expires_at)
          .Run();
  if (!inserted) {
    if (inserted.error().code == ErrorCode::kAlreadyExists) {
      return Unexpected(ErrorCode::kAlreadyExists,
                        fmt::format("deployment '{}' already exists in this project", d.name));
    }
    return Unexpected(inserted.error());
  }
  return Find(db_.LastInsertRowId());
}

Result<std::vector<Deployment>> DeploymentStore::Query(std::string_view where,
                                                       const std::vector<std::string>& args) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format(
      "SELECT {} FROM deployments d JOIN projects p ON p.id = d.project_id {} ORDER BY p.name, "
      "d.name",
      kColumns, where)));
  for (size_t i = 0; i < args.size(); ++i) query.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<Deployment> out;
  while (TRY(query.Step())) out.push_back(ReadDeployment(query));
  return out;
}

Result<Deployment> DeploymentStore::Find(int64_t id) {
  auto rows = TRY(Query("WHERE d.id = CAST(? AS INTEGER)", {std::to_string(id)}));
  if (rows.empty()) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("deployment {} not found", id));
  }
  return std::move(rows.front());
}

Result<Deployment> DeploymentStore::FindByName(int64_t project_id, const std::string& name) {
  auto rows = TRY(Query("WHERE d.project_id = CAST(? AS INTEGER) AND d.name = ?",
                        {std::to_string(project_id), name}));
  if (rows.empty()) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("deployment '{}' not found", name));
  }
  return std::move(rows.front());
}

Result<std::vector<Deployment>> DeploymentStore::ListForProject(int64_t project_id) {
  return Query("WHERE d.project_id = CAST(? AS INTEGER)", {std::to_string(project_id)});
}

Result<std::vector<Deployment>> DeploymentStore::ListAll() { return Query("", {}); }

Result<int64_t> DeploymentStore::CountForProject(int64_t project_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT COUNT(*) FROM deployments WHERE project_id = ?"));
  query.BindAll(project_id);
  TRY(query.Step());
  return query.ColumnInt(0);
}

Status DeploymentStore::Update(int64_t id, std::string_view assignments,
                               const std::vector<std::string>& args) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      fmt::format("UPDATE deployments SET {}, version = version + 1, updated_at = ? WHERE id = ?",
                  assignments)));
  int index = 0;
  for (const std::string& arg : args) update.Bind(++index, arg);
  update.Bind(++index, clock_.NowUnix());
  update.Bind(++index, id);
  TRY(update.Run());
  return RequireChange(db_, id);
}

Status DeploymentStore::SetDesired(int64_t id, Desired desired) {
  return Update(id, "desired = ?", {std::string(DesiredName(desired))});
}

Status DeploymentStore::BumpGenerations(int64_t id, const std::vector<std::string>& services) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  Deployment d = TRY(Find(id));
  for (const std::string& service : services) d.generations[service] = d.GenerationOf(service) + 1;
  TRY(Update(id, "generations = ?", {WriteMap(d.generations)}));
  return transaction.Commit();
}

Status DeploymentStore::SetTargetCommit(int64_t id, const std::string& commit) {
  return Update(id, "target_commit = ?", {commit});
}

Status DeploymentStore::RequestRebuild(int64_t id, const std::string& commit,
                                       const std::vector<std::string>& services) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  Deployment d = TRY(Find(id));
  for (const std::string& service : services) d.generations[service] = d.GenerationOf(service) + 1;
  TRY(Update(id, "target_commit = ?, generations = ?, build_nonce = build_nonce + 1",
             {commit, WriteMap(d.generations)}));
  return transaction.Commit();
}

Status DeploymentStore::SetBranch(int64_t id, const std::string& branch,
                                  const std::string& head) {
  return Update(id, "branch = ?, target_commit = ?, followed_commit = ?", {branch, head, head});
}

Status DeploymentStore::SetAutoDeploy(int64_t id, bool auto_deploy) {
  return Update(id, "auto_deploy = ?", {auto_deploy ? "1" : "0"});
}

Status DeploymentStore::SetSize(int64_t id, int64_t cpu_millis, int64_t memory_bytes) {
  return Update(id, "cpu_millis = CAST(? AS INTEGER), memory_bytes = CAST(? AS INTEGER)",
                {std::to_string(cpu_millis), std::to_string(memory_bytes)});
}

Result<std::vector<Deployment>> DeploymentStore::FollowBranch(int64_t project_id,
                                                              const std::string& branch,
                                                              const std::string& head) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  std::vector<Deployment> moved = TRY(Query(
      "WHERE d.project_id = CAST(? AS INTEGER) AND d.branch = ? AND d.auto_deploy = 1 AND "
      "d.desired != 'deleted' AND d.followed_commit != ?",
      {std::to_string(project_id), branch, head}));
  for (Deployment& d : moved) {
    TRY(Update(d.id, "target_commit = ?, followed_commit = ?", {head, head}));
    d.target_commit = d.followed_commit = head;
  }
  TRY(transaction.Commit());
  return moved;
}

Result<std::vector<Deployment>> DeploymentStore::ListPreviews(int64_t project_id) {
  return Query("WHERE d.project_id = CAST(? AS INTEGER) AND d.preview_branch IS NOT NULL",
               {std::to_string(project_id)});
}

Result<std::vector<Deployment>> DeploymentStore::ListExpired(int64_t now) {
  return Query("WHERE d.expires_at IS NOT NULL AND d.expires_at <= CAST(? AS INTEGER) AND "
               "d.desired != 'deleted'",
               {std::to_string(now)});
}

Status DeploymentStore::SetExpiry(int64_t id, std::optional<int64_t> expires_at) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare("UPDATE deployments SET expires_at = ? WHERE id = ?"));
  TRY(update.BindAll(expires_at, id).Run());
  return RequireChange(db_, id);
}

Status DeploymentStore::SetStopAt(int64_t id, std::optional<int64_t> stop_at) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare("UPDATE deployments SET stop_at = ? WHERE id = ?"));
  TRY(update.BindAll(stop_at, id).Run());
  return RequireChange(db_, id);
}

Result<std::vector<Deployment>> DeploymentStore::ListDueToStop(int64_t now) {
  return Query("WHERE d.stop_at IS NOT NULL AND d.stop_at <= CAST(? AS INTEGER) AND "
               "d.desired = 'running'",
               {std::to_string(now)});
}

Status DeploymentStore::SetRelease(int64_t id, const std::string& commit,
                                   const std::map<std::string, std::string>& images,
                                   int64_t nonce) {
  auto lock = db_.Lock();
  // Not an Update: the controller records what it did, which is not a user change.
  auto update = TRY(db_.Prepare(
      "UPDATE deployments SET release_commit = ?, release_images = ?, release_nonce = ? "
      "WHERE id = ?"));
  TRY(update.BindAll(commit, WriteMap(images), nonce, id).Run());
  return RequireChange(db_, id);
}

Status DeploymentStore::SetPhase(int64_t id, const std::string& phase,
                                 const std::string& reason) {
  auto lock = db_.Lock();
  // Not an Update: the phase is an observation, and updated_at tracks user changes.
  auto update = TRY(db_.Prepare("UPDATE deployments SET phase = ?, reason = ? WHERE id = ?"));
  TRY(update.BindAll(phase, reason, id).Run());
  return RequireChange(db_, id);
}

Status DeploymentStore::Delete(int64_t id) {
  auto lock = db_.Lock();
  auto remove = TRY(db_.Prepare("DELETE FROM deployments WHERE id = ?"));
  TRY(remove.BindAll(id).Run());
  return RequireChange(db_, id);
}

Status DeploymentStore::SetConfigEntry(int64_t id, ConfigMap map, const std::string& key,
                                       const std::optional<std::string>& value) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  Deployment d = TRY(Find(id));
  std::map<std::string, std::string>& entries = map == ConfigMap::kParams ? d.params : d.env;
  if (value) {
    entries[key] = *value;
  } else {
    entries.erase(key);
  }
  TRY(Update(id, map == ConfigMap::kParams ? "params = ?" : "env = ?", {WriteMap(entries)}));
  return transaction.Commit();
}

Status DeploymentStore::ResealConfigEntry(int64_t id, ConfigMap map, const std::string& key,
                                          const std::string& from, const std::string& to) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  Deployment d = TRY(Find(id));
  std::map<std::string, std::string>& entries = map == ConfigMap::kParams ? d.params : d.env;
  auto entry = entries.find(key);
  if (entry == entries.end() || entry->second != from) return Ok();  // changed meanwhile
  entry->second = to;
  // Not an Update: the value is the same, only its form at rest changes.
  auto update = TRY(db_.Prepare(map == ConfigMap::kParams
                                    ? "UPDATE deployments SET params = ? WHERE id = ?"
                                    : "UPDATE deployments SET env = ? WHERE id = ?"));
  TRY(update.BindAll(WriteMap(entries), id).Run());
  return transaction.Commit();
}

Status DeploymentStore::ResealValue(int64_t id, const std::string& key, const std::string& from,
                                    const std::string& to) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare(
      "UPDATE deployment_values SET value = ? WHERE deployment_id = ? AND key = ? AND value = ?"));
  return update.BindAll(to, id, key, from).Run();
}

Result<std::map<std::string, std::string>> DeploymentStore::Values(int64_t id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT key, value FROM deployment_values WHERE deployment_id = ?"));
  query.BindAll(id);
  std::map<std::string, std::string> out;
  while (TRY(query.Step())) out[query.ColumnText(0)] = query.ColumnText(1);
  return out;
}

Status DeploymentStore::AddValues(int64_t id, const std::map<std::string, std::string>& values) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  for (const auto& [key, value] : values) {
    auto insert = TRY(db_.Prepare(
        "INSERT OR IGNORE INTO deployment_values (deployment_id, key, value) VALUES (?, ?, ?)"));
    TRY(insert.BindAll(id, key, value).Run());
  }
  return transaction.Commit();
}

}  // namespace yard::store
