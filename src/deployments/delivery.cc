#include "deployments/delivery.h"

#include <fmt/core.h>

#include "base/log.h"
#include "controller/release_inputs.h"
#include "events/kinds.h"
#include "git/bare_repository.h"

namespace yard::deployments {
namespace {

std::string Short(const std::string& commit) { return commit.substr(0, 12); }

}  // namespace

Result<std::vector<store::Deployment>> Delivery::FollowBranches(const store::Project& project,
                                                                std::optional<int64_t> pusher) {
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  std::vector<store::Deployment> moved;
  for (const git::Branch& branch : TRY(repository.Branches())) {
    for (store::Deployment& d :
         TRY(stores_.deployments.FollowBranch(project.id, branch.name, branch.commit))) {
      // Queued here rather than by the controller so that the build names who pushed. A
      // development deployment's "build" reuses its dev image unless its Dockerfile changed.
      auto queued = stores_.builds.Enqueue(
          d.id, d.target_commit, d.build_nonce,
          fmt::format("push to {}: {}", branch.name, branch.subject.substr(0, 72)), pusher);
      if (!queued) log::Warn("{}/{}: {}", d.project, d.name, queued.error().message);
      if (queued && events_ != nullptr) events_->Record(events::BuildQueued(d, *queued));
      log::Info("{}/{}: {} moved to {}; deploying it", d.project, d.name, branch.name,
                Short(branch.commit));
      Wake(d.id);
      moved.push_back(std::move(d));
    }
  }
  return moved;
}

Result<std::vector<store::Release>> Delivery::Releases(const store::Deployment& d, int limit) {
  return stores_.releases.List(d.id, limit);
}

Status Delivery::CheckImages(const store::Release& release) {
  if (runtime_ == nullptr) return Ok();
  for (const auto& [service, image] : release.images) {
    if (!TRY(runtime_->InspectImage(image))) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("release {} cannot run again: the image of {} ({}) was "
                                    "pruned; rebuild commit {} instead",
                                    release.number, service, image, Short(release.commit)));
    }
  }
  return Ok();
}

Result<store::Release> Delivery::Rollback(const store::Deployment& d,
                                          std::optional<int64_t> number,
                                          const store::User& user) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  store::Release chosen;
  if (number) {
    chosen = TRY(stores_.releases.Find(d.id, *number));
  } else {
    // The newest release that differs from what runs now.
    std::optional<store::Release> previous;
    for (store::Release& release : TRY(stores_.releases.List(d.id, 50))) {
      if (release.commit != d.release_commit || release.images != d.release_images) {
        previous = std::move(release);
        break;
      }
    }
    if (!previous) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("deployment '{}' has no earlier release to roll back to",
                                    d.name));
    }
    chosen = std::move(*previous);
  }
  TRY(CheckImages(chosen));
  store::Release release{.deployment_id = d.id,
                         .commit = chosen.commit,
                         .images = chosen.images,
                         .params = d.params,
                         .env = d.env,
                         .kind = store::ReleaseKind::kRollback,
                         .build_id = chosen.build_id,
                         .source = fmt::format("release {}", chosen.number),
                         .created_by = user.id};
  store::Release made = TRY(stores_.releases.Activate(release, /*retarget=*/true));
  log::Info("{}/{}: rolled back to release {} ({}) by {}", d.project, d.name, chosen.number,
            Short(chosen.commit), user.name);
  Wake(d.id);
  return made;
}

Result<const manifest::Stage*> Delivery::BuiltStage(const manifest::Stack& stack,
                                                    const store::Deployment& d,
                                                    std::string_view role) {
  const manifest::Stage* stage = controller::FindStage(stack, d.stage);
  if (stage == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the {} deployment '{}' has stage '{}', which the release's "
                                  "stack does not have",
                                  role, d.name, d.stage));
  }
  if (stage->kind == manifest::StageKind::kDev) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the {} deployment '{}' is a development deployment: it runs "
                                  "its code volume, not built images",
                                  role, d.name));
  }
  return stage;
}

Result<store::Release> Delivery::Promote(const store::Project& project,
                                         const store::Deployment& source,
                                         std::optional<int64_t> number,
                                         const store::Deployment& target,
                                         const store::User& user) {
  if (source.project_id != target.project_id || source.project_id != project.id) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "a release is promoted between deployments of the same project");
  }
  if (source.id == target.id) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "promote to another deployment; to run an earlier release here, roll back");
  }
  if (target.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  store::Release chosen;
  if (number) {
    chosen = TRY(stores_.releases.Find(source.id, *number));
  } else {
    auto newest = TRY(stores_.releases.List(source.id, 1));
    if (newest.empty() || source.release_commit.empty()) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("deployment '{}' has no release to promote", source.name));
    }
    chosen = std::move(newest.front());
  }
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  manifest::ParseResult parsed = TRY(controller::LoadStackAt(repository, chosen.commit));
  TRY(BuiltStage(parsed.stack, source, "source"));
  TRY(BuiltStage(parsed.stack, target, "target"));
  TRY(CheckImages(chosen));
  store::Release release{.deployment_id = target.id,
                         .commit = chosen.commit,
                         .images = chosen.images,
                         .params = target.params,
                         .env = target.env,
                         .kind = store::ReleaseKind::kPromotion,
                         .build_id = chosen.build_id,
                         .source = fmt::format("{} release {}", source.name, chosen.number),
                         .created_by = user.id};
  store::Release made = TRY(stores_.releases.Activate(release, /*retarget=*/true));
  log::Info("{}/{}: promoted {} release {} ({}) by {}", target.project, target.name,
            source.name, chosen.number, Short(chosen.commit), user.name);
  Wake(target.id);
  return made;
}

Status Delivery::SetBranch(const store::Project& project, const store::Deployment& d,
                           const std::string& branch, const store::User& user) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  if (branch == d.branch) return Ok();
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  std::string head = TRY_CTX(repository.ResolveCommit("refs/heads/" + branch),
                             fmt::format("branch '{}'", branch));
  manifest::ParseResult parsed =
      TRY_CTX(controller::LoadStackAt(repository, head), fmt::format("branch '{}'", branch));
  const manifest::Stage* stage = controller::FindStage(parsed.stack, d.stage);
  if (stage == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the stack on branch '{}' has no stage '{}'", branch, d.stage));
  }
  const manifest::ParseResult current = TRY(controller::LoadStackAt(
      repository, d.target_commit.empty() ? head : d.target_commit));
  const manifest::Stage* running = controller::FindStage(current.stack, d.stage);
  if (stage->kind == manifest::StageKind::kDev ||
      (running != nullptr && running->kind == manifest::StageKind::kDev)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "a development deployment keeps its work in its code volume: switch "
                      "branches there (`git switch` over `yard ssh`), or create another "
                      "deployment for the branch");
  }
  TRY(stores_.deployments.SetBranch(d.id, branch, head));
  auto queued = stores_.builds.Enqueue(d.id, head, d.build_nonce,
                                       fmt::format("now follows {}", branch), user.id);
  if (!queued) log::Warn("{}/{}: {}", d.project, d.name, queued.error().message);
  if (queued && events_ != nullptr) events_->Record(events::BuildQueued(d, *queued));
  Wake(d.id);
  return Ok();
}

Status Delivery::SetAutoDeploy(const store::Deployment& d, bool auto_deploy) {
  return stores_.deployments.SetAutoDeploy(d.id, auto_deploy);
}

Status Delivery::Rebuild(const store::Project& project, const store::Deployment& d,
                         const store::User& user) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  std::string commit = TRY_CTX(repository.ResolveCommit("refs/heads/" + d.branch),
                               fmt::format("branch '{}'", d.branch));
  // No restart here: the running version keeps serving while the build runs, and is
  // replaced only by a release whose every image built (a failed build leaves it alone).
  TRY(stores_.deployments.RequestRebuild(d.id, commit, {}));
  auto queued = stores_.builds.Enqueue(d.id, commit, d.build_nonce + 1, "rebuild", user.id);
  if (!queued) log::Warn("{}/{}: {}", d.project, d.name, queued.error().message);
  if (queued && events_ != nullptr) events_->Record(events::BuildQueued(d, *queued));
  Wake(d.id);
  return Ok();
}

Result<std::vector<store::BuildRecord>> Delivery::Builds(const store::Deployment& d, int limit) {
  return stores_.builds.List(d.id, limit);
}

Result<store::BuildRecord> Delivery::FindBuild(const store::Deployment& d, int64_t build_id) {
  store::BuildRecord build = TRY(stores_.builds.Find(build_id));
  if (build.deployment_id != d.id) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("deployment '{}' has no build {}", d.name, build_id));
  }
  return build;
}

Status Delivery::CancelBuild(const store::Deployment& d, int64_t build_id,
                             const store::User& user) {
  store::BuildRecord build = TRY(FindBuild(d, build_id));
  if (store::IsFinished(build.state)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("build {} has finished already ({})", build_id,
                                  store::BuildStateName(build.state)));
  }
  std::string why = fmt::format("cancelled by {}", user.name);
  if (controller_ != nullptr) {
    TRY(controller_->CancelBuild(build_id, why));
  } else if (!TRY(stores_.builds.CancelQueued(build_id, why))) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("build {} is running and nothing here can stop it", build_id));
  }
  Wake(d.id);
  return Ok();
}

void Delivery::Wake(int64_t id) {
  if (controller_ != nullptr) controller_->Wake(id);
}

}  // namespace yard::deployments
