#pragma once

// Continuous delivery: what happens to deployments when their branch moves, and the ways a
// user changes what a deployment runs without a build — rolling back to an earlier release
// and promoting another deployment's release — or stops a build.
//
// A push (over SSH, a mirrored project's fetch, a webhook's fetch) ends in FollowBranches:
// every deployment that follows a branch whose head moved now targets the new head, and a
// build of it is queued in the pusher's name. The controller does the rest (a built stage
// builds and rolls forward; a development deployment brings the commits into its code
// volume). FollowBranches is idempotent, so it can be called after any fetch and at start.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "controller/controller.h"
#include "events/sink.h"
#include "runtime/runtime.h"
#include "store/builds.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/releases.h"
#include "store/users.h"

namespace yard::deployments {

struct DeliveryStores {
  store::DeploymentStore& deployments;
  store::BuildStore& builds;
  store::ReleaseStore& releases;
};

class Delivery {
 public:
  /// `controller` and `runtime` may be null in tests of the bookkeeping alone (nothing is
  /// woken, and images are not checked).
  Delivery(DeliveryStores stores, controller::Controller* controller, runtime::Runtime* runtime)
      : stores_(stores), controller_(controller), runtime_(runtime) {}

  /// Points deployments that follow a moved branch at its head and queues their builds
  /// (requested by `pusher`, when known). Returns the deployments that moved.
  Result<std::vector<store::Deployment>> FollowBranches(const store::Project& project,
                                                        std::optional<int64_t> pusher);

  /// The deployment's releases, newest first.
  Result<std::vector<store::Release>> Releases(const store::Deployment& d, int limit);
  /// Runs release `number` again (nullopt: the one before the current), without building.
  /// kNotFound for an unknown release; kFailedPrecondition when its images are gone.
  Result<store::Release> Rollback(const store::Deployment& d, std::optional<int64_t> number,
                                  const store::User& user);
  /// Runs `source`'s release `number` (nullopt: its current one) in `target`, without
  /// building: both must be built stages of the same project, and the release's stack must
  /// have the target's stage.
  Result<store::Release> Promote(const store::Project& project, const store::Deployment& source,
                                 std::optional<int64_t> number, const store::Deployment& target,
                                 const store::User& user);

  /// Follows another branch (its head now). Development deployments refuse: their code
  /// volume holds work on the current branch.
  Status SetBranch(const store::Project& project, const store::Deployment& d,
                   const std::string& branch, const store::User& user);
  Status SetAutoDeploy(const store::Deployment& d, bool auto_deploy);

  /// Builds the branch's head again (even if unchanged, with a fresh layer cache check) and
  /// rolls out; the running version serves until every image built.
  Status Rebuild(const store::Project& project, const store::Deployment& d,
                 const store::User& user);
  /// The deployment's builds, newest first.
  Result<std::vector<store::BuildRecord>> Builds(const store::Deployment& d, int limit);
  /// kNotFound unless the build is one of the deployment's.
  Result<store::BuildRecord> FindBuild(const store::Deployment& d, int64_t build_id);
  /// Cancels a queued build or stops a running one of deployment `d`.
  Status CancelBuild(const store::Deployment& d, int64_t build_id, const store::User& user);

  /// Where queued builds are reported (events/sink.h); null: nowhere.
  void set_events(events::Sink* sink) { events_ = sink; }

 private:
  Result<const manifest::Stage*> BuiltStage(const manifest::Stack& stack,
                                            const store::Deployment& d, std::string_view role);
  Status CheckImages(const store::Release& release);
  void Wake(int64_t id);

  DeliveryStores stores_;
  controller::Controller* controller_;
  runtime::Runtime* runtime_;
  events::Sink* events_ = nullptr;
};

}  // namespace yard::deployments
