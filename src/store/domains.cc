#include "store/domains.h"

#include <fmt/core.h>

namespace yard::store {
namespace {

constexpr std::string_view kColumns =
    "m.id, m.deployment_id, m.endpoint, m.hostname, m.created_at, p.name, d.name";

Domain ReadDomain(const Statement& row) {
  return Domain{.id = row.ColumnInt(0),
                .deployment_id = row.ColumnInt(1),
                .endpoint = row.ColumnText(2),
                .hostname = row.ColumnText(3),
                .created_at = row.ColumnInt(4),
                .project = row.ColumnText(5),
                .deployment = row.ColumnText(6)};
}

}  // namespace

Result<std::vector<Domain>> DomainStore::Query(std::string_view where,
                                               const std::vector<std::string>& args) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      fmt::format("SELECT {} FROM domains m JOIN deployments d ON d.id = m.deployment_id "
                  "JOIN projects p ON p.id = d.project_id {} ORDER BY m.hostname",
                  kColumns, where)));
  for (size_t i = 0; i < args.size(); ++i) query.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<Domain> out;
  while (TRY(query.Step())) out.push_back(ReadDomain(query));
  return out;
}

Status DomainStore::CountAsChange(int64_t deployment_id) {
  // As DeploymentStore's user changes do: the controller reports the version it acted on.
  auto update =
      TRY(db_.Prepare("UPDATE deployments SET version = version + 1, updated_at = ? WHERE id = ?"));
  TRY(update.BindAll(clock_.NowUnix(), deployment_id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("deployment {} not found", deployment_id));
  }
  return Ok();
}

Result<Domain> DomainStore::Add(int64_t deployment_id, const std::string& endpoint,
                                const std::string& hostname) {
  auto transaction = TRY(db_.Begin());
  auto existing = FindByHostname(hostname);
  if (existing) {
    return Unexpected(
        ErrorCode::kAlreadyExists,
        existing->deployment_id == deployment_id
            ? fmt::format("'{}' is already a domain of this deployment (endpoint '{}')", hostname,
                          existing->endpoint)
            : fmt::format("'{}' is already used by deployment '{}' of project '{}'; remove it "
                          "there first",
                          hostname, existing->deployment, existing->project));
  }
  if (existing.error().code != ErrorCode::kNotFound) return Unexpected(existing.error());
  TRY(CountAsChange(deployment_id));
  auto insert = TRY(db_.Prepare(
      "INSERT INTO domains (deployment_id, endpoint, hostname, created_at) VALUES (?, ?, ?, ?)"));
  TRY(insert.BindAll(deployment_id, endpoint, hostname, clock_.NowUnix()).Run());
  Domain added = TRY(FindByHostname(hostname));
  TRY(transaction.Commit());
  return added;
}

Result<std::vector<Domain>> DomainStore::ListForDeployment(int64_t deployment_id) {
  return Query("WHERE m.deployment_id = CAST(? AS INTEGER)", {std::to_string(deployment_id)});
}

Result<std::vector<Domain>> DomainStore::ListAll() { return Query("", {}); }

Result<Domain> DomainStore::FindByHostname(const std::string& hostname) {
  auto rows = TRY(Query("WHERE m.hostname = ?", {hostname}));
  if (rows.empty()) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no domain '{}'", hostname));
  }
  return std::move(rows.front());
}

Status DomainStore::Remove(int64_t deployment_id, const std::string& hostname) {
  auto transaction = TRY(db_.Begin());
  auto remove = TRY(db_.Prepare("DELETE FROM domains WHERE deployment_id = ? AND hostname = ?"));
  TRY(remove.BindAll(deployment_id, hostname).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("deployment {} has no domain '{}'", deployment_id, hostname));
  }
  TRY(CountAsChange(deployment_id));
  return transaction.Commit();
}

}  // namespace yard::store
