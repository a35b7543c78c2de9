#pragma once

// Every kind of event the platform records, with its wording, in one place: docs/events.md
// lists the same kinds (kinds_test.cc checks that it does). Kinds are dotted, the subject
// first: `yard events --kind build` shows every build event.
//
// What a person asked for is one event (deployment.stopped, by alice); what came of it is
// another, by the platform (deployment.phase.stopped once nothing runs).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "events/sink.h"
#include "store/builds.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/push_events.h"
#include "store/releases.h"

namespace yard::events {

// Asked for by a user (the actor).
inline constexpr std::string_view kDeploymentCreated = "deployment.created";
inline constexpr std::string_view kDeploymentStarted = "deployment.started";
inline constexpr std::string_view kDeploymentStopped = "deployment.stopped";
inline constexpr std::string_view kDeploymentRestarted = "deployment.restarted";
inline constexpr std::string_view kDeploymentRebuilt = "deployment.rebuilt";
inline constexpr std::string_view kDeploymentRedeployed = "deployment.redeployed";
inline constexpr std::string_view kDeploymentDeleted = "deployment.deleted";
inline constexpr std::string_view kDeploymentUpdated = "deployment.updated";
inline constexpr std::string_view kDeploymentRolledBack = "deployment.rolled_back";
inline constexpr std::string_view kDeploymentPromoted = "deployment.promoted";
inline constexpr std::string_view kDeploymentEnvSet = "deployment.env_set";
inline constexpr std::string_view kDeploymentEnvUnset = "deployment.env_unset";
inline constexpr std::string_view kDeploymentParamSet = "deployment.param_set";
inline constexpr std::string_view kDeploymentParamUnset = "deployment.param_unset";
inline constexpr std::string_view kDeploymentEnabled = "deployment.enabled";
inline constexpr std::string_view kDeploymentDisabled = "deployment.disabled";
inline constexpr std::string_view kDeploymentCloned = "deployment.cloned";
inline constexpr std::string_view kDeploymentRestored = "deployment.restored";
inline constexpr std::string_view kActionStarted = "action.started";
inline constexpr std::string_view kDomainAdded = "domain.added";
inline constexpr std::string_view kDomainRemoved = "domain.removed";
inline constexpr std::string_view kProjectCreated = "project.created";
inline constexpr std::string_view kProjectDeleted = "project.deleted";
inline constexpr std::string_view kProjectPushed = "project.pushed";
inline constexpr std::string_view kMemberAdded = "project.member_added";
inline constexpr std::string_view kMemberChanged = "project.member_changed";
inline constexpr std::string_view kMemberRemoved = "project.member_removed";
inline constexpr std::string_view kTokenCreated = "token.created";
inline constexpr std::string_view kTokenRevoked = "token.revoked";
inline constexpr std::string_view kKeyAdded = "key.added";
inline constexpr std::string_view kKeyRemoved = "key.removed";
inline constexpr std::string_view kUserSignedIn = "user.signed_in";
inline constexpr std::string_view kUserSignedOut = "user.signed_out";
inline constexpr std::string_view kUserPasswordChanged = "user.password_changed";

// Done by the platform. Phase changes are "deployment.phase." + the new phase.
inline constexpr std::string_view kPhasePrefix = "deployment.phase.";
inline constexpr std::string_view kBuildQueued = "build.queued";
inline constexpr std::string_view kBuildStarted = "build.started";
inline constexpr std::string_view kBuildSucceeded = "build.succeeded";
inline constexpr std::string_view kBuildFailed = "build.failed";
inline constexpr std::string_view kBuildCancelled = "build.cancelled";
inline constexpr std::string_view kBuildInterrupted = "build.interrupted";
inline constexpr std::string_view kRolloutStarted = "rollout.started";
inline constexpr std::string_view kRolloutSwitched = "rollout.switched";
inline constexpr std::string_view kRolloutRolledBack = "rollout.rolled_back";
inline constexpr std::string_view kDeploymentCloneFailed = "deployment.clone_failed";
inline constexpr std::string_view kDeploymentTrashed = "deployment.trashed";
inline constexpr std::string_view kDeploymentPurged = "deployment.purged";
inline constexpr std::string_view kDeploymentAutoStopped = "deployment.auto_stopped";
inline constexpr std::string_view kActionSucceeded = "action.succeeded";
inline constexpr std::string_view kActionFailed = "action.failed";

/// Every kind above (phases spelled out), for docs and tests.
std::span<const std::string_view> AllKinds();

// The subject of an event; the actor is left to the caller (the platform when unset).
Event AboutDeployment(const store::Deployment& d, std::string_view kind, std::string message,
                      nlohmann::json data = nlohmann::json::object());
/// For callers that only have the id: the event log fills in the names.
Event AboutDeploymentId(int64_t deployment_id, std::string_view kind, std::string message,
                        nlohmann::json data = nlohmann::json::object());
Event AboutProject(const store::Project& project, std::string_view kind, std::string message,
                   nlohmann::json data = nlohmann::json::object());
/// About the installation (tokens, keys, users).
Event AboutInstallation(std::string_view kind, std::string message,
                        nlohmann::json data = nlohmann::json::object());

/// A user's POST …/deployments/{deployment}/{verb} (start, stop, restart, rebuild, redeploy):
/// kind "deployment." + the verb in the past tense ("deployment.stopped"); the request's body,
/// when it is an object, is the data ({"service": "web"} for a restart of one service).
Event DeploymentAction(const store::Deployment& d, std::string_view verb,
                       const nlohmann::json& request);

// The platform's events, worded here.
Event PhaseChanged(const store::Deployment& d, std::string_view from, std::string_view to,
                   const std::string& reason);
Event BuildQueued(const store::Deployment& d, const store::BuildRecord& build);
Event BuildStarted(const store::BuildRecord& build);
/// A build ended: succeeded, failed, cancelled or interrupted (`error` says why).
Event BuildEnded(const store::BuildRecord& build, store::BuildState state,
                 const std::string& error);
/// A build that never started was cancelled.
Event BuildCancelled(const store::BuildRecord& build, const std::string& why);
/// A release is made and starts running (its containers replace the previous version's).
Event RolloutStarted(const store::Deployment& d, const store::Release& release);
/// `service`'s new version takes the traffic; the previous one drains.
Event RolloutSwitched(const store::Deployment& d, const std::string& service);
/// `service`'s new version failed; the previous one keeps serving.
Event RolloutRolledBack(const store::Deployment& d, const std::string& service,
                        const std::string& why);
/// A push by `user_id` to `project`: its refs are the newest push events of that user (all
/// refs of one push share their time).
Event Pushed(const store::Project& project, int64_t user_id, store::PushEventStore& pushes);

}  // namespace yard::events
