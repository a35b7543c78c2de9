#include "controller/reconciler.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "controller/reconciler_internal.h"
#include "manifest/manifest.h"
#include "projects/git_repository_view.h"

namespace yard::controller {
namespace {

using namespace internal;

// Generated values: the store's, plus those drawn in this resolution (kept by AddValues).
class StoredValues final : public manifest::GeneratedValues {
 public:
  StoredValues(std::map<std::string, std::string> stored, manifest::RandomSource& random)
      : stored_(std::move(stored)), random_(random) {}
  Result<std::string> GetOrGenerate(const std::string& key,
                                    const manifest::GeneratorSpec& spec) override {
    if (auto it = stored_.find(key); it != stored_.end()) return it->second;
    std::string value = TRY(manifest::Generate(spec, random_));
    stored_[key] = value;
    drawn_[key] = value;
    return value;
  }
  const std::map<std::string, std::string>& drawn() const { return drawn_; }

 private:
  std::map<std::string, std::string> stored_;
  std::map<std::string, std::string> drawn_;
  manifest::RandomSource& random_;
};


}  // namespace

Reconciler::Reconciler(ControllerContext& context, int64_t deployment_id)
    : ctx_(context), id_(deployment_id), images_(*context.runtime, context.naming) {}

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
    }
  }

  manifest::EnvResolution env = TRY(ResolveEnv(d, **stack, d.target_commit));

  bool needs_build = d.release_commit != d.target_commit || d.release_nonce != d.build_nonce;
  for (const auto* services : {&(*stack)->components, &(*stack)->addons}) {
    for (const manifest::Service& service : *services) {
      needs_build |= !d.release_images.contains(service.id);
    }
  }
  std::string build_key = fmt::format("{}#{}", d.target_commit, d.build_nonce);
  if (needs_build && failed_build_ != build_key) {
    TRY(BuildRelease(d, **stack, *stage, env, repository));
  } else if (needs_build) {
    inputs_.build_error = "see the build log";
  }
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

  PlanInputs plan_inputs{.stack = release_stack,
                         .stage = stage,
                         .deployment = &d,
                         .env = &run_env,
                         .images = &d.release_images,
                         .naming = &ctx_.naming};
  std::vector<ServicePlan> plans = TRY(MakePlan(plan_inputs));
  TRY(EnsureNetwork(d));
  bool busy = TRY(Converge(d, plans));
  busy |= Route(d, plans);
  Publish(d, &plans);
  return Outcome{.next = busy ? std::chrono::milliseconds(kFastPoll) : ctx_.idle_interval};
}

Result<const manifest::Stack*> Reconciler::LoadStack(const git::BareRepository& repository,
                                                     const std::string& commit) {
  if (stack_ && stack_commit_ == commit) return &stack_->stack;
  std::string text = TRY_CTX(repository.ReadFile(commit, manifest::kManifestFileName, 1 << 20),
                             "reading the manifest");
  projects::GitRepositoryView view(repository, commit);
  manifest::ParseResult parsed =
      manifest::LoadManifest(text, std::string(manifest::kManifestFileName), &view);
  if (!parsed.ok()) {
    std::string first;
    for (const manifest::Diagnostic& diagnostic : parsed.diagnostics) {
      if (diagnostic.severity == manifest::Severity::kError) {
        first = manifest::FormatDiagnostic(diagnostic);
        break;
      }
    }
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the manifest at {} is invalid: {}", commit.substr(0, 12), first));
  }
  stack_ = std::move(parsed);
  stack_commit_ = commit;
  return &stack_->stack;
}

Result<manifest::EnvResolution> Reconciler::ResolveEnv(const store::Deployment& d,
                                                       const manifest::Stack& stack,
                                                       const std::string& commit) {
  StoredValues values(TRY(ctx_.deployments->Values(d.id)), *ctx_.random);
  manifest::DeploymentContext context{.stage = d.stage,
                                      .deployment = d.name,
                                      .project = d.project,
                                      .branch = d.branch,
                                      .commit = commit,
                                      .domain = ctx_.domain};
  manifest::EnvResolution env = manifest::ResolveEnv(stack, context, d.params, values);
  // Kept even when something else failed to resolve: a value, once drawn, is the value.
  if (!values.drawn().empty()) TRY(ctx_.deployments->AddValues(d.id, values.drawn()));
  if (!env.ok()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "the environment does not resolve: " +
                          manifest::FormatDiagnostic(env.diagnostics.front()));
  }
  return env;
}

Status Reconciler::BuildRelease(store::Deployment& d, const manifest::Stack& stack,
                                const manifest::Stage& stage, const manifest::EnvResolution& env,
                                const git::BareRepository& repository) {
  inputs_.building = true;
  inputs_.has_release = !d.release_commit.empty();
  Publish(d, nullptr);
  store::BuildRecord build = TRY(ctx_.deployments->StartBuild(d.id, d.target_commit));
  TRY(fs::CreateDirectories(ctx_.build_logs_dir));
  std::string log_path = fmt::format("{}/{}.log", ctx_.build_logs_dir, build.id);
  std::FILE* log_file = std::fopen(log_path.c_str(), "w");
  auto sink = [&](std::string_view line) {
    if (log_file == nullptr) return;
    std::fwrite(line.data(), 1, line.size(), log_file);
    std::fputc('\n', log_file);
    std::fflush(log_file);
  };
  sink(fmt::format("build {} of {}/{} at commit {}", build.id, d.project, d.name,
                   d.target_commit));
  ImageRequest request{.stack = &stack,
                       .stage = &stage,
                       .env = &env,
                       .project = d.project,
                       .commit = d.target_commit,
                       .code_dir = ctx_.naming.CodeDir(d.project, d.name),
                       .repository = &repository,
                       .force = d.build_nonce != d.release_nonce};
  Result<ImageSet> set = images_.Prepare(request, sink);
  std::string error = set ? set->error : set.error().message;
  bool ok = set && set->ok;
  sink(ok ? "build succeeded" : "build failed: " + error);
  if (log_file != nullptr) std::fclose(log_file);
  TRY(ctx_.deployments->FinishBuild(build.id,
                                    ok ? store::BuildState::kSucceeded : store::BuildState::kFailed,
                                    error, ok ? set->images : std::map<std::string, std::string>{}));
  inputs_.building = false;
  if (!ok) {
    failed_build_ = fmt::format("{}#{}", d.target_commit, d.build_nonce);
    inputs_.build_error = error;
    log::Info("{}/{}: build {} failed: {}", d.project, d.name, build.id, error);
    return Ok();
  }
  TRY(ctx_.deployments->SetRelease(d.id, d.target_commit, set->images, d.build_nonce));
  d.release_commit = d.target_commit;
  d.release_images = set->images;
  d.release_nonce = d.build_nonce;
  log::Info("{}/{}: build {} succeeded", d.project, d.name, build.id);
  return Ok();
}

Status Reconciler::EnsureNetwork(const store::Deployment& d) {
  auto networks = TRY(ctx_.runtime->ListNetworks(DeploymentLabels(d.id)));
  if (!networks.empty()) return Ok();
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
  return created ? Ok() : Status(Unexpected(created.error()));
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
    if (ctx_.deployments->SetPhase(d.id, phase, reason)) last_phase_ = phase + reason;
  }
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}


}  // namespace yard::controller
