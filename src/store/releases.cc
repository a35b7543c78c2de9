#include "store/releases.h"

#include <fmt/core.h>

#include "store/json_columns.h"

namespace yard::store {
namespace {

using internal::ReadMap;
using internal::WriteMap;

constexpr std::string_view kColumns =
    "r.id, r.deployment_id, r.number, r.commit_id, r.images, r.params, r.env, r.kind, "
    "r.build_id, r.source, r.created_at, r.created_by, COALESCE(u.name, '')";

Release ReadRelease(const Statement& row) {
  Release r;
  r.id = row.ColumnInt(0);
  r.deployment_id = row.ColumnInt(1);
  r.number = row.ColumnInt(2);
  r.commit = row.ColumnText(3);
  r.images = ReadMap<std::string>(row.ColumnText(4));
  r.params = ReadMap<std::string>(row.ColumnText(5));
  r.env = ReadMap<std::string>(row.ColumnText(6));
  std::string kind = row.ColumnText(7);
  r.kind = kind == "rollback"    ? ReleaseKind::kRollback
           : kind == "promotion" ? ReleaseKind::kPromotion
                                 : ReleaseKind::kBuild;
  r.build_id = row.ColumnOptionalInt(8);
  r.source = row.ColumnText(9);
  r.created_at = row.ColumnInt(10);
  r.created_by = row.ColumnOptionalInt(11);
  r.created_by_name = row.ColumnText(12);
  return r;
}

}  // namespace

std::string_view ReleaseKindName(ReleaseKind kind) {
  switch (kind) {
    case ReleaseKind::kBuild: return "build";
    case ReleaseKind::kRollback: return "rollback";
    case ReleaseKind::kPromotion: return "promotion";
  }
  return "build";
}

Result<std::vector<Release>> ReleaseStore::Query(const std::string& where_and_order,
                                                 const std::vector<std::string>& args) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(fmt::format(
      "SELECT {} FROM releases r LEFT JOIN users u ON u.id = r.created_by {}", kColumns,
      where_and_order)));
  for (size_t i = 0; i < args.size(); ++i) query.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<Release> out;
  while (TRY(query.Step())) out.push_back(ReadRelease(query));
  return out;
}

Result<Release> ReleaseStore::Activate(Release release, bool retarget) {
  auto lock = db_.Lock();
  auto transaction = TRY(db_.Begin());
  auto next = TRY(
      db_.Prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM releases WHERE deployment_id = ?"));
  next.BindAll(release.deployment_id);
  TRY(next.Step());
  release.number = next.ColumnInt(0);
  release.created_at = clock_.NowUnix();
  auto insert = TRY(db_.Prepare(
      "INSERT INTO releases (deployment_id, number, commit_id, images, params, env, kind, "
      "build_id, source, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert
          .BindAll(release.deployment_id, release.number, release.commit,
                   WriteMap(release.images), WriteMap(release.params), WriteMap(release.env),
                   ReleaseKindName(release.kind), release.build_id, release.source,
                   release.created_at, release.created_by)
          .Run());
  int64_t id = db_.LastInsertRowId();
  // For a build this records what the controller did, not a user change: no version bump.
  // A rollback or a promotion is a user change, so that `--wait` waits for it.
  auto update = TRY(db_.Prepare(
      "UPDATE deployments SET release_commit = ?, release_images = ?, "
      "release_nonce = build_nonce, "
      "target_commit = CASE WHEN ? THEN ? ELSE target_commit END, "
      "version = version + ?, updated_at = CASE WHEN ? THEN ? ELSE updated_at END "
      "WHERE id = ?"));
  int changed = retarget ? 1 : 0;
  update.BindAll(release.commit, WriteMap(release.images), changed, release.commit, changed,
                 changed, clock_.NowUnix(), release.deployment_id);
  TRY(update.Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("deployment {} not found", release.deployment_id));
  }
  TRY(transaction.Commit());
  auto rows = TRY(Query("WHERE r.id = CAST(? AS INTEGER)", {std::to_string(id)}));
  return std::move(rows.front());
}

Result<std::vector<Release>> ReleaseStore::List(int64_t deployment_id, int limit) {
  return Query(
      "WHERE r.deployment_id = CAST(? AS INTEGER) ORDER BY r.number DESC LIMIT CAST(? AS INTEGER)",
      {std::to_string(deployment_id), std::to_string(limit)});
}

Result<Release> ReleaseStore::Find(int64_t deployment_id, int64_t number) {
  auto rows = TRY(Query("WHERE r.deployment_id = CAST(? AS INTEGER) AND r.number = CAST(? AS INTEGER)",
                        {std::to_string(deployment_id), std::to_string(number)}));
  if (rows.empty()) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no release {}", number));
  }
  return std::move(rows.front());
}

Result<std::set<std::string>> ReleaseStore::ImagesToKeep(int keep) {
  std::set<std::string> out;
  auto lock = db_.Lock();
  auto recent = TRY(db_.Prepare(
      "SELECT images FROM releases r WHERE (SELECT COUNT(*) FROM releases n "
      "WHERE n.deployment_id = r.deployment_id AND n.number > r.number) < ?"));
  recent.BindAll(keep);
  while (TRY(recent.Step())) {
    for (const auto& [service, image] : ReadMap<std::string>(recent.ColumnText(0))) {
      out.insert(image);
    }
  }
  auto running = TRY(db_.Prepare("SELECT release_images FROM deployments"));
  while (TRY(running.Step())) {
    for (const auto& [service, image] : ReadMap<std::string>(running.ColumnText(0))) {
      out.insert(image);
    }
  }
  return out;
}

}  // namespace yard::store
