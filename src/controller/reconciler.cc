#include "controller/reconciler.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "controller/reconciler_internal.h"
#include "controller/code_sync.h"
#include "controller/release_inputs.h"
#include "events/kinds.h"

namespace yard::controller {
namespace {

using namespace internal;

// A build interrupted by a server stop is queued again this many times, not forever: a build
// that kills the server each time must end.
constexpr int kInterruptedRetries = 3;

}  // namespace

Reconciler::Reconciler(ControllerContext& context, int64_t deployment_id)
    : ctx_(context), id_(deployment_id) {}

std::chrono::milliseconds Reconciler::Backoff(int step) {
  return std::chrono::milliseconds(1000LL << std::min(step, 6)) > 60s
             ? std::chrono::milliseconds(60s)
             : std::chrono::milliseconds(1000LL << std::min(step, 6));
}

DeploymentStatus Reconciler::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

Reconciler::Outcome Reconciler::Pass() {
  Result<Outcome> outcome = Run();
  if (outcome) return *outcome;
  // The engine or the store failed us: say so and try again soon.
  log::Warn("deployment {}: {}", id_, outcome.error().message);
  auto d = ctx_.deployments->Find(id_);
  if (!d) return {.finished = d.error().code == ErrorCode::kNotFound};
  inputs_.config_error = outcome.error().message;
  Publish(*d, nullptr);
  inputs_.config_error.clear();
  return {.next = 5s};
}

Result<Reconciler::Outcome> Reconciler::Run() {
  auto found = ctx_.deployments->Find(id_);
  if (!found && found.error().code == ErrorCode::kNotFound) return Outcome{.finished = true};
  store::Deployment d = TRY(std::move(found));
  inputs_ = {};
  // A clone whose volumes are being copied (deployments/clone.h) is not touched, deleted or
  // not, until the copy hands it over (phase "creating") or is removed.
  if (d.phase == "cloning") return Outcome{.next = ctx_.idle_interval * 5};

  if (d.desired == store::Desired::kDeleted) {
    inputs_.deleting = true;
    Publish(d, nullptr);
    TRY(TearDown(d, /*remove_everything=*/true));
    return Outcome{.finished = true};
  }
  if (d.desired == store::Desired::kStopped) {
    inputs_.stopped = true;
    TRY(TearDown(d, /*remove_everything=*/false));
    for (auto& [id, tracked] : tracked_) {
      tracked = Tracked{.restarts = tracked.restarts, .state = ServiceState::kStopped};
    }
    Publish(d, nullptr);
    return Outcome{.next = ctx_.idle_interval * 5};
  }

  if (!repository_) {
    // Opened once: Open runs git, and passes come every few hundred milliseconds.
    store::Project project = TRY(ctx_.projects->FindByName(d.project));
    repository_.emplace(TRY(git::BareRepository::Open(project.repo_path)));
  }
  const git::BareRepository& repository = *repository_;
  if (d.target_commit.empty()) {
    std::string commit = TRY_CTX(repository.ResolveCommit("refs/heads/" + d.branch),
                                 fmt::format("branch '{}'", d.branch));
    TRY(ctx_.deployments->SetTargetCommit(d.id, commit));
    d.target_commit = commit;
  }

  auto stack = LoadStack(repository, d.target_commit);
  if (!stack) {
    inputs_.config_error = stack.error().message;
    Publish(d, nullptr);
    return Outcome{.next = ctx_.idle_interval * 5};
  }
  // The running release's stack decides (below); before the first release, the target's.
  if (primary_.empty() || d.release_commit.empty()) primary_ = (*stack)->primary;
  const manifest::Stage* stage = nullptr;
  for (const manifest::Stage& candidate : (*stack)->stages) {
    if (candidate.id == d.stage) stage = &candidate;
  }
  if (stage == nullptr) {
    inputs_.config_error = fmt::format("the stack at {} has no stage '{}'",
                                       d.target_commit.substr(0, 12), d.stage);
    Publish(d, nullptr);
    return Outcome{.next = ctx_.idle_interval * 5};
  }

  if (stage->kind == manifest::StageKind::kDev) {
    std::string code = ctx_.naming.CodeDir(d.project, d.name);
    if (!fs::Exists(code)) {
      Publish(d, nullptr);
      TRY_CTX(repository.CloneBranch(d.branch, code, 10min), "checking out the code");
      synced_target_ = d.target_commit;
    }
    SyncCode(d, repository, code);
    inputs_.code = code_;
  }

  manifest::EnvResolution env = TRY(ResolveEnv(d, **stack, d.target_commit));

  bool needs_build = d.release_commit != d.target_commit || d.release_nonce != d.build_nonce;
  for (const auto* services : {&(*stack)->components, &(*stack)->addons}) {
    for (const manifest::Service& service : *services) {
      needs_build |= !d.release_images.contains(service.id);
    }
  }
  if (needs_build) TRY(ReleaseFromBuild(d));
  inputs_.has_release = !d.release_commit.empty();
  if (!inputs_.has_release) {
    Publish(d, nullptr);
    return Outcome{.next = ctx_.idle_interval * 5};
  }

  // The release may be older than the target (a failed build): run the release's stack.
  const manifest::Stack* release_stack = *stack;
  manifest::EnvResolution release_env;
  if (d.release_commit != d.target_commit) {
    release_stack = TRY(LoadStack(repository, d.release_commit));
    release_env = TRY(ResolveEnv(d, *release_stack, d.release_commit));
    for (const manifest::Stage& candidate : release_stack->stages) {
      if (candidate.id == d.stage) stage = &candidate;
    }
  }
  const manifest::EnvResolution& run_env =
      d.release_commit != d.target_commit ? release_env : env;
  primary_ = release_stack->primary;

  std::string gateway = TRY(EnsureNetwork(d));
  std::optional<DevGitSetup> dev_git;
  if (stage->kind == manifest::StageKind::kDev) {
    dev_git = OpenDevGit(d, gateway, ctx_.naming.CodeDir(d.project, d.name));
  }
  PlanInputs plan_inputs{.stack = release_stack,
                         .stage = stage,
                         .deployment = &d,
                         .env = &run_env,
                         .images = &d.release_images,
                         .naming = &ctx_.naming,
                         .dev_git = dev_git ? &*dev_git : nullptr};
  std::vector<ServicePlan> plans = TRY(MakePlan(plan_inputs));
  bool busy = TRY(Converge(d, plans));
  busy |= Route(d, plans);
  Publish(d, &plans);
  return Outcome{.next = busy ? std::chrono::milliseconds(kFastPoll) : ctx_.idle_interval};
}

Result<const manifest::Stack*> Reconciler::LoadStack(const git::BareRepository& repository,
                                                     const std::string& commit) {
  if (stack_ && stack_commit_ == commit) return &stack_->stack;
  stack_ = TRY(LoadStackAt(repository, commit));
  stack_commit_ = commit;
  return &stack_->stack;
}

Result<manifest::EnvResolution> Reconciler::ResolveEnv(const store::Deployment& d,
                                                       const manifest::Stack& stack,
                                                       const std::string& commit) {
  return ResolveDeploymentEnv(ctx_, d, stack, commit);
}

Status Reconciler::ReleaseFromBuild(store::Deployment& d) {
  // Builds for an older target (a newer push, a rollback) are not wanted any more.
  for (const store::BuildRecord& stale :
       TRY(ctx_.builds->Supersede(d.id, d.target_commit, d.build_nonce))) {
    if (ctx_.build_queue == nullptr) continue;
    Status stopped = ctx_.build_queue->Cancel(
        stale.id, fmt::format("superseded by {}", d.target_commit.substr(0, 12)));
    if (!stopped) log::Warn("build {}: {}", stale.id, stopped.error().message);
  }

  store::BuildStore::TargetBuilds builds =
      TRY(ctx_.builds->ForTarget(d.id, d.target_commit, d.build_nonce));
  const std::optional<store::BuildRecord>& latest = builds.latest;
  bool resume = latest && latest->state == store::BuildState::kInterrupted &&
                builds.interrupted < kInterruptedRetries;
  // A build that is the release already, yet the release lacks an image: one was removed
  // behind our back (ForgetImage). Build again; existing images are reused.
  bool rebuild_missing = false;
  if (latest && latest->state == store::BuildState::kSucceeded) {
    auto current = TRY(ctx_.releases->List(d.id, 1));
    rebuild_missing = !current.empty() && current.front().build_id == latest->id &&
                      current.front().kind == store::ReleaseKind::kBuild &&
                      d.release_commit == latest->commit;
  }
  if (!latest || resume || rebuild_missing) {
    std::string reason = resume                                ? "resumed after a server restart"
                         : rebuild_missing                      ? "an image was removed"
                         : d.release_commit.empty()             ? "first build"
                         : d.release_nonce != d.build_nonce     ? "rebuild"
                         : d.release_commit != d.target_commit ? "new commit on " + d.branch
                                                                : "missing images";
    store::BuildRecord queued =
        TRY(ctx_.builds->Enqueue(d.id, d.target_commit, d.build_nonce, reason,
                                 d.release_commit.empty() && d.created_by > 0
                                     ? std::optional<int64_t>(d.created_by)
                                     : std::nullopt));
    log::Info("{}/{}: build {} queued ({})", d.project, d.name, queued.id, reason);
    if (ctx_.events != nullptr) ctx_.events->Record(events::BuildQueued(d, queued));
    if (ctx_.build_queue != nullptr) ctx_.build_queue->Wake();
    inputs_.building = true;
    inputs_.build_queued = true;
    inputs_.build_id = queued.id;
    return Ok();
  }
  inputs_.build_id = latest->id;
  switch (latest->state) {
    case store::BuildState::kQueued:
      // Queued by a push or a rebuild, which wake this worker, not the runner.
      if (ctx_.build_queue != nullptr) ctx_.build_queue->Wake();
      [[fallthrough]];
    case store::BuildState::kRunning:
      inputs_.building = true;
      inputs_.build_queued = latest->state == store::BuildState::kQueued;
      return Ok();
    case store::BuildState::kSucceeded: {
      store::Release release{.deployment_id = d.id,
                             .commit = latest->commit,
                             .images = latest->images,
                             .params = d.params,
                             .env = d.env,
                             .kind = store::ReleaseKind::kBuild,
                             .build_id = latest->id,
                             .created_by = latest->requested_by};
      store::Release made = TRY(ctx_.releases->Activate(release, /*retarget=*/false));
      d.release_commit = made.commit;
      d.release_images = made.images;
      d.release_nonce = d.build_nonce;
      log::Info("{}/{}: release {} from build {} ({})", d.project, d.name, made.number,
                latest->id, made.commit.substr(0, 12));
      if (ctx_.events != nullptr) ctx_.events->Record(events::RolloutStarted(d, made));
      return Ok();
    }
    case store::BuildState::kFailed:
    case store::BuildState::kCancelled:
    case store::BuildState::kInterrupted:
      inputs_.build_ended = store::BuildStateName(latest->state);
      inputs_.build_error = latest->error.empty() ? "no reason given" : latest->error;
      return Ok();
  }
  return Ok();
}

void Reconciler::SyncCode(const store::Deployment& d, const git::BareRepository& repository,
                          const std::string& code) {
  // Once per target; a diverged volume is looked at again now and then, so that the status
  // follows what people do in it (commit, pull, stash).
  TimePoint now = ctx_.now();
  if (synced_target_ == d.target_commit && (!code_ || now < next_code_check_)) return;
  next_code_check_ = now + 30s;
  DeploymentStatus::Code out;
  if (synced_target_ != d.target_commit) {
    auto synced = SyncCheckout(code, repository, d.branch, d.target_commit, 2min);
    if (!synced) {
      log::Warn("{}/{}: bringing {} into the code volume: {}", d.project, d.name,
                d.target_commit.substr(0, 12), synced.error().message);
      return;  // tried again next pass
    }
    synced_target_ = d.target_commit;
    out.state = synced->result == SyncResult::kFastForwarded ? "fast_forwarded"
                : synced->result == SyncResult::kDiverged    ? "diverged"
                                                             : "up_to_date";
    out.summary = synced->summary;
    out.head = synced->state.head;
    out.ahead = synced->state.ahead;
    out.behind = synced->state.behind;
    out.uncommitted_total = synced->state.uncommitted_total;
    out.uncommitted = synced->state.uncommitted;
    if (synced->result != SyncResult::kUpToDate) {
      log::Info("{}/{}: {}", d.project, d.name, synced->summary);
    }
  } else {
    auto state = InspectCheckout(code, d.branch, d.target_commit, 30s);
    if (!state) return;
    SyncResult result = DecideSync(*state, d.branch);
    out.state = result == SyncResult::kUpToDate ? "up_to_date" : "diverged";
    out.summary = SummarizeCodeState(*state, d.branch);
    out.head = state->head;
    out.ahead = state->ahead;
    out.behind = state->behind;
    out.uncommitted_total = state->uncommitted_total;
    out.uncommitted = state->uncommitted;
  }
  code_ = std::move(out);
}

Result<std::string> Reconciler::EnsureNetwork(const store::Deployment& d) {
  auto networks = TRY(ctx_.runtime->ListNetworks(DeploymentLabels(d.id)));
  if (!networks.empty()) return networks.front().gateway;
  runtime::NetworkSpec spec{.name = ctx_.naming.Network(d.project, d.name)};
  spec.labels = DeploymentLabels(d.id);
  spec.labels[std::string(runtime::kLabelProject)] = d.project;
  spec.labels[std::string(runtime::kLabelRole)] = "network";
  auto created = ctx_.runtime->CreateNetwork(spec);
  if (!created && created.error().code == ErrorCode::kAlreadyExists) {
    // A network of that name without our labels: never ours to remove.
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("a network named {} exists but was not made by this "
                                  "installation",
                                  spec.name));
  }
  if (!created) return Unexpected(created.error());
  // Creating answers with the id alone; the listing has the addresses.
  networks = TRY(ctx_.runtime->ListNetworks(DeploymentLabels(d.id)));
  return networks.empty() ? std::string() : networks.front().gateway;
}

std::optional<DevGitSetup> Reconciler::OpenDevGit(const store::Deployment& d,
                                                  const std::string& gateway,
                                                  const std::string& code) {
  if (ctx_.dev_git == nullptr) return std::nullopt;
  auto fail = [&](const std::string& why) -> std::optional<DevGitSetup> {
    if (why != dev_git_error_) {
      log::Warn("{}/{}: git inside the deployment: {}", d.project, d.name, why);
      dev_git_error_ = why;
    }
    return std::nullopt;
  };
  if (gateway.empty()) return fail("the engine names no host address on its network");
  auto setup = ctx_.dev_git->Open(d, gateway);
  if (!setup) return fail(setup.error().message);
  if (origin_url_ != setup->url && fs::Exists(code)) {
    // An earlier URL of ours (another port) is replaced too: everything before the path.
    std::string prefix = setup->url.substr(0, setup->url.rfind('/') + 1);
    size_t port = prefix.rfind(':');
    if (port != std::string::npos && port > 5) prefix = prefix.substr(0, port);
    if (Status pointed = PointOrigin(code, setup->url, prefix); !pointed) {
      return fail("pointing the checkout's origin: " + pointed.error().message);
    }
    origin_url_ = setup->url;
  }
  dev_git_error_.clear();
  return std::move(*setup);
}

void Reconciler::Publish(const store::Deployment& d, const std::vector<ServicePlan>* plans) {
  DeploymentStatus status;
  status.commit = d.release_commit;
  status.observed_version = d.version;
  status.observed_at = ctx_.clock->NowUnix();
  if (plans != nullptr) {
    for (const ServicePlan& plan : *plans) {
      const Tracked& tracked = tracked_[plan.id];
      ServiceStatus service{.id = plan.id,
                            .addon = plan.addon,
                            .state = tracked.state,
                            .health = tracked.health ? tracked.health->state()
                                                     : HealthState::kNone,
                            .restarts = tracked.restarts,
                            .image = plan.spec.image,
                            .container = tracked.container_id.empty() ? "" : tracked.container_name,
                            .started_at = tracked.container_id.empty() ? 0 : tracked.started_at,
                            .last_exit_code = tracked.last_exit_code,
                            .last_log = tracked.last_log,
                            .reason = tracked.reason};
      if (!plan.spec.ports.empty() && !tracked.container_id.empty()) {
        auto published = tracked.published.find(plan.spec.ports.front().container_port);
        if (published != tracked.published.end()) {
          service.address = fmt::format("127.0.0.1:{}", published->second);
        }
      }
      if (service.container.empty() && tracked.previous) {
        // Rolled back, or the new version is not there yet: the previous one is what runs.
        service.container = tracked.previous->name;
        service.image = tracked.previous->image;
      }
      status.services.push_back(std::move(service));
    }
    PublishEndpoints(d, *plans, status);
  } else {
    std::lock_guard lock(status_mutex_);
    status.services = status_.services;
    status.endpoints = status_.endpoints;
    if (inputs_.stopped || inputs_.deleting) {
      for (EndpointStatus& endpoint : status.endpoints) endpoint.upstream.clear();
    }
    for (ServiceStatus& service : status.services) {
      auto it = tracked_.find(service.id);
      if (it != tracked_.end()) {
        service.state = it->second.state;
        service.reason = it->second.reason;
        service.last_log = it->second.last_log;
      }
      if (inputs_.stopped || inputs_.deleting) {
        // Nothing runs: what the containers were is no longer true.
        service.health = HealthState::kNone;
        service.address.clear();
        service.container.clear();
        service.started_at = 0;
      }
    }
  }
  status.primary = primary_;
  ComputePhase(inputs_, status);
  std::string phase(PhaseName(status.phase));
  std::string reason = status.reasons.empty() ? "" : status.reasons.front();
  if (!inputs_.deleting && phase + reason != last_phase_) {
    if (ctx_.deployments->SetPhase(d.id, phase, reason)) {
      last_phase_ = phase + reason;
      // After a server restart the stored phase is the last one reported.
      if (recorded_phase_.empty()) recorded_phase_ = d.phase;
      if (phase != recorded_phase_ && ctx_.events != nullptr) {
        ctx_.events->Record(events::PhaseChanged(d, recorded_phase_, phase, reason));
      }
      recorded_phase_ = phase;
    }
  }
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}


}  // namespace yard::controller
