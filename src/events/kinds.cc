#include "events/kinds.h"

#include <fmt/core.h>

#include <array>

namespace yard::events {
namespace {

std::string Short(const std::string& commit) { return commit.substr(0, 12); }

// Phases as controller/status.h names them (deleting is never reported: the deployment goes).
constexpr std::array<std::string_view, 56> kAllKinds = {
    kDeploymentCreated,
    kDeploymentStarted,
    kDeploymentStopped,
    kDeploymentRestarted,
    kDeploymentRebuilt,
    kDeploymentRedeployed,
    kDeploymentDeleted,
    kDeploymentUpdated,
    kDeploymentRolledBack,
    kDeploymentPromoted,
    kDeploymentEnvSet,
    kDeploymentEnvUnset,
    kDeploymentParamSet,
    kDeploymentParamUnset,
    kDeploymentEnabled,
    kDeploymentDisabled,
    kDeploymentCloned,
    kDeploymentRestored,
    kActionStarted,
    kDomainAdded,
    kDomainRemoved,
    kProjectCreated,
    kProjectDeleted,
    kProjectPushed,
    kMemberAdded,
    kMemberChanged,
    kMemberRemoved,
    kTokenCreated,
    kTokenRevoked,
    kKeyAdded,
    kKeyRemoved,
    kUserSignedIn,
    kUserSignedOut,
    kUserPasswordChanged,
    "deployment.phase.creating",
    "deployment.phase.building",
    "deployment.phase.starting",
    "deployment.phase.running",
    "deployment.phase.degraded",
    "deployment.phase.stopped",
    "deployment.phase.failed",
    kBuildQueued,
    kBuildStarted,
    kBuildSucceeded,
    kBuildFailed,
    kBuildCancelled,
    kBuildInterrupted,
    kRolloutStarted,
    kRolloutSwitched,
    kRolloutRolledBack,
    kDeploymentCloneFailed,
    kDeploymentTrashed,
    kDeploymentPurged,
    kDeploymentAutoStopped,
    kActionSucceeded,
    kActionFailed,
};

}  // namespace

std::span<const std::string_view> AllKinds() { return kAllKinds; }

Event AboutDeployment(const store::Deployment& d, std::string_view kind, std::string message,
                      nlohmann::json data) {
  return Event{.project_id = d.project_id,
               .project = d.project,
               .deployment_id = d.id,
               .deployment = d.name,
               .kind = std::string(kind),
               .message = std::move(message),
               .data = std::move(data)};
}

Event AboutDeploymentId(int64_t deployment_id, std::string_view kind, std::string message,
                        nlohmann::json data) {
  return Event{.deployment_id = deployment_id,
               .kind = std::string(kind),
               .message = std::move(message),
               .data = std::move(data)};
}

Event AboutProject(const store::Project& project, std::string_view kind, std::string message,
                   nlohmann::json data) {
  return Event{.project_id = project.id,
               .project = project.name,
               .kind = std::string(kind),
               .message = std::move(message),
               .data = std::move(data)};
}

Event AboutInstallation(std::string_view kind, std::string message, nlohmann::json data) {
  return Event{.kind = std::string(kind), .message = std::move(message), .data = std::move(data)};
}

Event DeploymentAction(const store::Deployment& d, std::string_view verb,
                       const nlohmann::json& request) {
  std::string done = verb == "stop"               ? "stopped"
                     : verb == "rebuild"          ? "rebuilt"
                     : verb.ends_with('e')        ? std::string(verb) + "d"
                                                  : std::string(verb) + "ed";
  nlohmann::json data = request.is_object() ? request : nlohmann::json::object();
  std::string message = done;
  if (data.contains("service") && data["service"].is_string()) {
    message += " " + data["service"].get<std::string>();
  } else if (verb == "rebuild") {
    message = fmt::format("rebuild of {}'s head requested", d.branch);
  }
  return AboutDeployment(d, "deployment." + done, std::move(message), std::move(data));
}

Event PhaseChanged(const store::Deployment& d, std::string_view from, std::string_view to,
                   const std::string& reason) {
  std::string message = reason.empty() ? fmt::format("now {}", to)
                                       : fmt::format("now {}: {}", to, reason);
  return AboutDeployment(d, fmt::format("{}{}", kPhasePrefix, to), std::move(message),
                         {{"phase", to}, {"previous", from}, {"reason", reason}});
}

Event BuildQueued(const store::Deployment& d, const store::BuildRecord& build) {
  return AboutDeployment(
      d, kBuildQueued, fmt::format("build {} of {} queued: {}", build.id, Short(build.commit),
                                   build.reason),
      {{"build", build.id}, {"commit", build.commit}, {"reason", build.reason}});
}

Event BuildStarted(const store::BuildRecord& build) {
  return AboutDeploymentId(
      build.deployment_id, kBuildStarted,
      fmt::format("build {} of {} started", build.id, Short(build.commit)),
      {{"build", build.id}, {"commit", build.commit}, {"reason", build.reason}});
}

Event BuildEnded(const store::BuildRecord& build, store::BuildState state,
                 const std::string& error) {
  std::string_view kind = state == store::BuildState::kSucceeded   ? kBuildSucceeded
                          : state == store::BuildState::kCancelled ? kBuildCancelled
                          : state == store::BuildState::kInterrupted ? kBuildInterrupted
                                                                     : kBuildFailed;
  std::string message = fmt::format("build {} of {} {}", build.id, Short(build.commit),
                                    store::BuildStateName(state));
  if (!error.empty()) message += ": " + error;
  return AboutDeploymentId(build.deployment_id, kind, std::move(message),
                           {{"build", build.id}, {"commit", build.commit}, {"error", error}});
}

Event BuildCancelled(const store::BuildRecord& build, const std::string& why) {
  return BuildEnded(build, store::BuildState::kCancelled, why);
}

Event RolloutStarted(const store::Deployment& d, const store::Release& release) {
  return AboutDeployment(d, kRolloutStarted,
                         fmt::format("release {} ({}) rolls out", release.number,
                                     Short(release.commit)),
                         {{"release", release.number},
                          {"commit", release.commit},
                          {"build", release.build_id ? nlohmann::json(*release.build_id)
                                                     : nlohmann::json(nullptr)}});
}

Event RolloutSwitched(const store::Deployment& d, const std::string& service) {
  return AboutDeployment(d, kRolloutSwitched,
                         fmt::format("{} serves the new version", service),
                         {{"service", service}});
}

Event RolloutRolledBack(const store::Deployment& d, const std::string& service,
                        const std::string& why) {
  return AboutDeployment(d, kRolloutRolledBack, fmt::format("{}: {}", service, why),
                         {{"service", service}, {"reason", why}});
}

Event Pushed(const store::Project& project, int64_t user_id, store::PushEventStore& pushes) {
  nlohmann::json refs = nlohmann::json::array();
  std::string summary;
  if (auto newest = pushes.List(project.id, 100); newest && !newest->empty()) {
    int64_t at = newest->front().pushed_at;
    for (const store::PushEvent& ref : *newest) {
      if (ref.pushed_at != at || ref.user_id != user_id) break;
      refs.push_back({{"ref", ref.ref},
                      {"old", ref.old_commit},
                      {"new", ref.new_commit},
                      {"forced", ref.forced}});
      std::string name = ref.ref.starts_with("refs/heads/") ? ref.ref.substr(11) : ref.ref;
      std::string what = ref.new_commit.empty()   ? name + " deleted"
                         : ref.old_commit.empty() ? name + " created at " + Short(ref.new_commit)
                                                  : name + " to " + Short(ref.new_commit);
      if (ref.forced) what += " (forced)";
      summary += (summary.empty() ? "" : ", ") + what;
    }
  }
  Event event = AboutProject(project, kProjectPushed,
                             summary.empty() ? "pushed" : "pushed " + summary, {{"refs", refs}});
  event.actor_id = user_id;
  return event;
}

}  // namespace yard::events
