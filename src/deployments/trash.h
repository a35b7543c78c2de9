#pragma once

// Deleted deployments in the trash (docs/deployments.md, "Deleting and restoring"). Deleting
// a deployment records it in the trash table and moves its volumes to DATA_DIR/trash (the
// controller does both: controller/reconciler_services.cc); from there it can be restored
// until its purge time, when Sweep removes the entry and the directory for good.
//
// What is found at start and on every sweep:
// - an entry whose directory is missing (the deployment had no volumes yet, or someone
//   removed them by hand) is kept: restoring it brings the configuration, generated values
//   and domains back, with empty volumes, and says so;
// - a directory in the trash without an entry (moved there before the trash was recorded,
//   or whose entry went with its project) is removed once the retention has passed, counted
//   from the deletion time at the end of its name (`<project>-<name>-<id>-<unix time>`);
//   a directory whose name holds no time is never touched.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "controller/naming.h"
#include "deployments/auto_stop.h"
#include "deployments/deployment_service.h"
#include "events/sink.h"
#include "store/database.h"
#include "store/deployments.h"
#include "store/domains.h"
#include "store/projects.h"
#include "store/trash.h"
#include "store/users.h"

namespace yard::deployments {

struct TrashStores {
  store::Database& db;
  store::TrashStore& trash;
  store::DeploymentStore& deployments;
  store::DomainStore* domains = nullptr;  // null: domains are not restored
};

struct TrashSettings {
  std::string trash_dir;     // DATA_DIR/trash
  controller::Naming naming;  // where a deployment's volumes live
  /// How long deleted deployments are kept (the controller records purge_at with it).
  std::chrono::seconds retention{7 * 24 * 3600};
  /// Called with a purged deployment's id: what else is kept by id (its logs, its actions'
  /// output) goes with it. Empty: nothing else.
  std::function<void(int64_t deployment_id)> forget;
};

/// What a restore brought back.
struct RestoreOutcome {
  store::Deployment deployment;
  bool data = false;  // the volumes came back (false: the entry had none)
  std::vector<std::string> domains;  // custom domains restored
  /// What could not be restored, one sentence each (a domain another deployment took).
  std::vector<std::string> notes;
};

/// Thread-safe: restores, purges and sweeps run one at a time.
class Trash {
 public:
  Trash(TrashStores stores, DeploymentService& service, AutoStop* auto_stop, const Clock& clock,
        TrashSettings settings)
      : stores_(stores),
        service_(service),
        auto_stop_(auto_stop),
        clock_(clock),
        settings_(std::move(settings)) {}

  void set_events(events::Sink* sink) { events_ = sink; }
  std::chrono::seconds retention() const { return settings_.retention; }

  /// The project's entries, newest first.
  Result<std::vector<store::TrashEntry>> List(const store::Project& project);
  /// An entry by id, or the newest entry of the deployment named `id_or_name`.
  /// kNotFound, naming what is in the trash.
  Result<store::TrashEntry> Find(const store::Project& project, const std::string& id_or_name);

  /// Makes the deployment again (under the id it had) from the entry, named `name` (empty: as it was), moves
  /// its volumes back, restores its generated values and the custom domains still free,
  /// starts it and removes the entry. kAlreadyExists when the project has a deployment of
  /// that name; kFailedPrecondition while the deleted deployment is still being removed, or
  /// when a directory is in the way of its volumes; kInvalidArgument for a bad name.
  Result<RestoreOutcome> Restore(const store::Project& project, const std::string& id_or_name,
                                 const std::string& name, const store::User& by);

  /// Removes the entry and its directory now. `by`: who asked (null: the sweep).
  /// kFailedPrecondition while the deleted deployment is still being removed.
  Status Purge(const store::TrashEntry& entry, const store::User* by);

  /// Purges the entries whose time has come, and old directories without an entry.
  Status Sweep();

 private:
  Status PurgeLocked(const store::TrashEntry& entry, const store::User* by);
  /// True while the deployment the entry records still has its row (its delete goes on).
  bool BeingDeleted(const store::TrashEntry& entry);
  Status RemoveDirectory(const std::string& path);
  void SweepUntracked(const std::vector<store::TrashEntry>& entries);
  void Report(const store::TrashEntry& entry, int64_t deployment_id, const store::User* by,
              std::string kind, std::string message, nlohmann::json data);

  TrashStores stores_;
  DeploymentService& service_;
  AutoStop* auto_stop_;  // null: restored deployments are started without an automatic stop
  const Clock& clock_;
  TrashSettings settings_;
  events::Sink* events_ = nullptr;
  std::mutex mutex_;
};

}  // namespace yard::deployments
