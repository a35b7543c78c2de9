#include "deployments/auto_stop.h"

#include <fmt/core.h>

#include "base/log.h"
#include "git/bare_repository.h"
#include "manifest/durations.h"
#include "manifest/manifest.h"
#include "projects/git_repository_view.h"
#include "events/kinds.h"

namespace yard::deployments {
namespace {

constexpr size_t kMaxCachedStages = 512;

bool IsDev(const std::optional<manifest::Stage>& stage) {
  return stage && stage->kind == manifest::StageKind::kDev;
}

}  // namespace

Result<RunFor> ParseRunFor(std::string_view text) {
  if (text.empty()) return RunFor{};
  if (text == "never") return RunFor{.kind = RunFor::Kind::kNever};
  std::optional<int64_t> seconds = manifest::ParseDuration(text);
  if (!seconds || *seconds <= 0) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a time to run: write a duration such as 30m, 2h, "
                                  "1h30m or 7d (at most 365d), or never",
                                  text));
  }
  return RunFor{.kind = RunFor::Kind::kDuration, .seconds = *seconds};
}

std::optional<manifest::Stage> AutoStop::StageOf(const store::Deployment& d) {
  if (d.target_commit.empty()) return std::nullopt;
  auto project = projects_.Find(d.project_id);
  if (!project) return std::nullopt;
  std::string key = fmt::format("{} {} {}", project->repo_path, d.target_commit, d.stage);
  {
    std::lock_guard lock(mutex_);
    if (auto it = stages_.find(key); it != stages_.end()) return it->second;
  }
  auto repository = git::BareRepository::Open(project->repo_path);
  if (!repository) return std::nullopt;  // not cached: it may come back
  std::optional<manifest::Stage> stage;
  auto text = repository->ReadFile(d.target_commit, manifest::kManifestFileName, 1 << 20);
  if (text) {
    projects::GitRepositoryView view(*repository, d.target_commit);
    manifest::ParseResult parsed =
        manifest::LoadManifest(*text, std::string(manifest::kManifestFileName), &view);
    if (parsed.ok()) {
      for (const manifest::Stage& candidate : parsed.stack.stages) {
        if (candidate.id == d.stage) stage = candidate;
      }
    }
  }
  std::lock_guard lock(mutex_);
  if (stages_.size() >= kMaxCachedStages) stages_.clear();
  stages_[key] = stage;
  return stage;
}

std::optional<int64_t> AutoStop::StopAtFor(const store::Deployment& d, RunFor run_for) {
  switch (run_for.kind) {
    case RunFor::Kind::kNever: return std::nullopt;
    case RunFor::Kind::kDuration: return clock_.NowUnix() + run_for.seconds;
    case RunFor::Kind::kStageDefault: break;
  }
  std::optional<manifest::Stage> stage = StageOf(d);
  if (!IsDev(stage) || !stage->auto_stop_seconds) return std::nullopt;
  return clock_.NowUnix() + *stage->auto_stop_seconds;
}

Result<store::Deployment> AutoStop::Enable(const store::Deployment& d, RunFor run_for) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  std::optional<int64_t> stop_at = StopAtFor(d, run_for);
  // The stop time first: the sweep must never see the deployment running with an earlier
  // automatic stop that has passed.
  TRY(deployments_.SetStopAt(d.id, stop_at));
  TRY(service_.Start(d));
  return deployments_.Find(d.id);
}

Status AutoStop::Disable(const store::Deployment& d) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  TRY(deployments_.SetStopAt(d.id, std::nullopt));
  return service_.Stop(d);
}

Status AutoStop::Created(const store::Deployment& d) {
  std::optional<int64_t> stop_at = StopAtFor(d, RunFor{});
  if (!stop_at) return Ok();
  return deployments_.SetStopAt(d.id, stop_at);
}

Status AutoStop::Sweep() {
  int64_t now = clock_.NowUnix();
  for (const store::Deployment& d : TRY(deployments_.ListDueToStop(now))) {
    // stop_at stays: on a stopped deployment it records when it stopped by itself.
    if (Status stopped = service_.Stop(d); !stopped) {
      log::Warn("{}/{}: stopping automatically: {}", d.project, d.name, stopped.error().message);
      continue;
    }
    std::string message = fmt::format("stopped automatically at {}: its time to run was up",
                                      FormatTimestamp(d.stop_at.value_or(now)));
    log::Info("{}/{}: {}", d.project, d.name, message);
    if (events_ != nullptr) {
      events_->Record({.project_id = d.project_id,
                       .project = d.project,
                       .deployment_id = d.id,
                       .deployment = d.name,
                       .kind = std::string(events::kDeploymentAutoStopped),
                       .message = message,
                       .data = {{"stop_at", d.stop_at.value_or(now)}}});
    }
  }
  return Ok();
}

}  // namespace yard::deployments
