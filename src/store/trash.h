#pragma once

// The trash table: deleted deployments whose volumes wait in DATA_DIR/trash until purge_at.
// An entry holds what restoring needs (the snapshot: the deployment's row, its generated
// values, its custom domains) and where its volumes went. The controller records the entry
// before it moves the volumes (controller/reconciler_services.cc), so a crash between the two
// leaves an entry whose directory is still to come, never a directory nobody knows about;
// restoring and purging are deployments/trash.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"
#include "store/deployments.h"
#include "store/domains.h"

namespace yard::store {

struct TrashEntry {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string project;  // the project's name (joined)
  std::string name;     // the deployment's name
  std::string stage;
  int64_t deployment_id = 0;  // the id it had
  std::string path;           // its volumes, under DATA_DIR/trash
  std::string snapshot;       // JSON (TrashSnapshot)
  int64_t deleted_at = 0;
  std::optional<int64_t> deleted_by;
  std::string deleted_by_name;  // joined; empty for the platform or a removed user
  int64_t purge_at = 0;
};

/// What a deleted deployment was, as restoring needs it.
struct TrashSnapshot {
  /// The row: name, stage, branch, params, env, size, auto_deploy, commits, preview marks.
  /// Ids, phase and counters are not restored.
  Deployment deployment;
  /// Generated values (${generate:...}), so that a restored database still opens with them.
  std::map<std::string, std::string> values;
  /// Custom domains: endpoint and hostname.
  std::vector<std::pair<std::string, std::string>> domains;
};

std::string WriteSnapshot(const TrashSnapshot& snapshot);
/// kInvalidArgument when `text` is not a snapshot (a damaged row).
Result<TrashSnapshot> ReadSnapshot(const std::string& text);
/// The snapshot of `d` now, read through the stores' own interfaces (values come back as the
/// deployment store gives them). `domains` may be null (no custom domains).
Result<TrashSnapshot> SnapshotOf(DeploymentStore& deployments, DomainStore* domains,
                                 const Deployment& d);

/// True when `entry` records `d`. Deployment ids are not enough: SQLite gives a new row the id
/// of a deleted newest one, so a later deployment may carry the id of one in the trash; the
/// name and creation time tell them apart.
bool Records(const TrashEntry& entry, const Deployment& d);

/// Thread-safe (the Database serialises).
class TrashStore {
 public:
  TrashStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Inserts `entry` (id and project name are filled; deleted_at is now when 0).
  Result<TrashEntry> Add(TrashEntry entry);
  /// kNotFound when absent.
  Result<TrashEntry> Find(int64_t id);
  /// The entry recorded for `d`, if any (its delete is in progress).
  Result<std::optional<TrashEntry>> FindByDeployment(const Deployment& d);
  /// The project's entries, newest first.
  Result<std::vector<TrashEntry>> ListForProject(int64_t project_id);
  /// Every entry of the installation, newest first.
  Result<std::vector<TrashEntry>> ListAll();
  /// Entries whose purge_at is `now` or earlier, oldest first.
  Result<std::vector<TrashEntry>> DueForPurge(int64_t now);
  /// kNotFound when absent.
  Status Remove(int64_t id);

 private:
  Result<std::vector<TrashEntry>> Query(std::string_view where,
                                        const std::vector<std::string>& args,
                                        std::string_view order);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
