#include "controller/reconciler.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "base/fs.h"
#include "base/log.h"
#include "manifest/manifest.h"
#include "projects/git_repository_view.h"

namespace yard::controller {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerState;

constexpr int kLogTail = 20;
constexpr auto kFastPoll = 200ms;
// A container that has run this long without crashing starts its back-off afresh.
constexpr auto kBackoffReset = 60s;

runtime::Labels DeploymentLabels(int64_t id) {
  return {{std::string(runtime::kLabelDeployment), std::to_string(id)}};
}

std::string LabelOf(const runtime::Labels& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? "" : it->second;
}

bool IsNotFound(const Status& status) {
  return !status && status.error().code == ErrorCode::kNotFound;
}

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

  store::Project project = TRY(ctx_.projects->FindByName(d.project));
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
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

  PlanInputs plan_inputs{.stack = release_stack,
                         .stage = stage,
                         .deployment = &d,
                         .env = &run_env,
                         .images = &d.release_images,
                         .naming = &ctx_.naming};
  std::vector<ServicePlan> plans = TRY(MakePlan(plan_inputs));
  TRY(EnsureNetwork(d));
  bool busy = TRY(Converge(d, plans));
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

Status Reconciler::TearDown(const store::Deployment& d, bool remove_everything) {
  auto containers = TRY(ctx_.runtime->ListContainers(DeploymentLabels(d.id)));
  for (const runtime::ContainerInfo& container : containers) {
    if (container.state == ContainerState::kRunning || container.state == ContainerState::kPaused) {
      if (container.state == ContainerState::kPaused) {
        (void)ctx_.runtime->UnpauseContainer(container.id);
      }
      Status stopped = ctx_.runtime->StopContainer(container.id, ctx_.stop_grace);
      if (!stopped && !IsNotFound(stopped)) return stopped;
    }
    Status removed = ctx_.runtime->RemoveContainer(container.id);
    if (!removed && !IsNotFound(removed)) return removed;
  }
  if (!remove_everything) return Ok();

  for (const runtime::NetworkInfo& network :
       TRY(ctx_.runtime->ListNetworks(DeploymentLabels(d.id)))) {
    Status removed = ctx_.runtime->RemoveNetwork(network.id);
    if (!removed && !IsNotFound(removed)) return removed;
  }
  // Volumes go to the trash, not away: a mistaken delete can be undone by hand.
  std::string dir = ctx_.naming.DeploymentDir(d.project, d.name);
  if (fs::Exists(dir)) {
    TRY(fs::CreateDirectories(ctx_.trash_dir));
    std::string target = fmt::format("{}/{}-{}-{}-{}", ctx_.trash_dir, d.project, d.name, d.id,
                                     ctx_.clock->NowUnix());
    std::error_code error;
    std::filesystem::rename(dir, target, error);
    if (error) {
      return Unexpected(ErrorCode::kIo, fmt::format("cannot move {} to the trash: {}", dir,
                                                    error.message()));
    }
  }
  Status deleted = ctx_.deployments->Delete(d.id);
  if (!deleted && !IsNotFound(deleted)) return deleted;
  log::Info("{}/{}: deleted", d.project, d.name);
  return Ok();
}

std::vector<std::string> Reconciler::TailLines(const std::string& container_id, int lines) {
  std::vector<std::string> out;
  auto logs = ctx_.runtime->Logs(container_id, {.tail = lines});
  if (!logs) return out;
  size_t start = 0;
  while (start < logs->size()) {
    size_t end = logs->find('\n', start);
    if (end == std::string::npos) end = logs->size();
    if (end > start) out.push_back(logs->substr(start, end - start));
    start = end + 1;
  }
  if (out.size() > static_cast<size_t>(lines)) out.erase(out.begin(), out.end() - lines);
  return out;
}

bool Reconciler::Ready(const std::string& service) const {
  auto it = tracked_.find(service);
  if (it == tracked_.end() || it->second.container_id.empty()) return false;
  const Tracked& tracked = it->second;
  if (tracked.state != ServiceState::kRunning) return false;
  return !tracked.health || tracked.health->state() == HealthState::kHealthy;
}

void Reconciler::RecordCrash(const runtime::ContainerInfo& container, Tracked& tracked,
                             TimePoint now) {
  auto inspected = ctx_.runtime->InspectContainer(container.id);
  if (inspected && *inspected) tracked.last_exit_code = (*inspected)->exit_code;
  tracked.last_log = TailLines(container.id, kLogTail);
  if (now - tracked.running_since >= kBackoffReset) tracked.backoff_step = 0;
  tracked.next_start = now + Backoff(tracked.backoff_step++);
  ++tracked.restarts;
  tracked.state = ServiceState::kCrashed;
  tracked.reason = fmt::format("exited with code {}; restarting with back-off",
                               tracked.last_exit_code.value_or(-1));
  tracked.container_id.clear();
  tracked.health.reset();
  // Fresh start: the next container begins from the image, like any restart.
  (void)ctx_.runtime->RemoveContainer(container.id);
}

void Reconciler::Probe(const ServicePlan& plan, Tracked& tracked, TimePoint now) {
  if (!tracked.health) {
    tracked.state = ServiceState::kRunning;
    return;
  }
  if (tracked.health->Due(now)) {
    const manifest::Health& health = *plan.health;
    auto timeout = std::chrono::milliseconds(std::chrono::seconds(health.timeout_seconds));
    bool ok = false;
    switch (health.kind) {
      case manifest::HealthKind::kHttp: {
        int port = plan.port;
        auto published = tracked.published.find(port);
        if (published != tracked.published.end()) {
          ok = ctx_.prober->Http("127.0.0.1", published->second, health.http_path, timeout);
        } else if (!tracked.ip.empty() && port > 0) {
          ok = ctx_.prober->Http(tracked.ip, port, health.http_path, timeout);
        }
        break;
      }
      case manifest::HealthKind::kTcp: {
        auto published = tracked.published.find(health.tcp_port);
        if (published != tracked.published.end()) {
          ok = ctx_.prober->Tcp("127.0.0.1", published->second, timeout);
        } else if (!tracked.ip.empty()) {
          ok = ctx_.prober->Tcp(tracked.ip, health.tcp_port, timeout);
        }
        break;
      }
      case manifest::HealthKind::kCommand: {
        auto result = ctx_.runtime->Exec(
            tracked.container_id,
            {.cmd = CommandArgv(health.command),
             .timeout = std::chrono::seconds(std::max<int64_t>(health.timeout_seconds, 1))});
        ok = result && result->exit_code == 0;
        break;
      }
    }
    tracked.health->Record(ok, ctx_.now());
  }
  switch (tracked.health->state()) {
    case HealthState::kHealthy:
      tracked.state = ServiceState::kRunning;
      tracked.reason.clear();
      break;
    case HealthState::kUnhealthy:
      tracked.state = ServiceState::kUnhealthy;
      tracked.reason = "failing its health check";
      break;
    default:
      tracked.state = ServiceState::kStarting;
      tracked.reason = "waiting for its health check to pass";
      break;
  }
}

bool Reconciler::RunInstall(const store::Deployment& d, const ServicePlan& plan,
                            Tracked& tracked) {
  tracked.state = ServiceState::kInstalling;
  tracked.reason = "running the install step";
  Publish(d, converging_);
  runtime::ContainerSpec spec = plan.spec;
  spec.name = ctx_.naming.InstallContainer(d.project, d.name, plan.id);
  spec.entrypoint = *plan.install;
  spec.cmd.clear();
  spec.ports.clear();
  spec.aliases.clear();
  spec.labels[std::string(runtime::kLabelRole)] = "install";
  auto fail = [&](const std::string& why) {
    tracked.install_failed_digest = plan.digest;
    tracked.state = ServiceState::kInstallFailed;
    tracked.reason = why;
    return false;
  };
  auto id = ctx_.runtime->CreateContainer(spec);
  if (!id && id.error().code == ErrorCode::kNotFound) {
    ForgetImage(d, plan.id);
    tracked.state = ServiceState::kPending;
    tracked.reason = "its image is gone; building it again";
    return false;
  }
  if (!id) return fail("cannot create the install container: " + id.error().message);
  Status started = ctx_.runtime->StartContainer(*id);
  int exit_code = -1;
  if (started) {
    auto deadline = ctx_.now() + ctx_.install_timeout;
    while (true) {
      auto info = ctx_.runtime->InspectContainer(*id);
      if (!info || !*info) break;
      if ((*info)->state == ContainerState::kExited || (*info)->state == ContainerState::kDead) {
        exit_code = (*info)->exit_code;
        break;
      }
      if (ctx_.now() > deadline) {
        (void)ctx_.runtime->StopContainer(*id, 1s);
        tracked.last_log = TailLines(*id, kLogTail);
        (void)ctx_.runtime->RemoveContainer(*id);
        return fail("the install step timed out");
      }
      std::this_thread::sleep_for(kFastPoll);
    }
  }
  tracked.last_log = TailLines(*id, kLogTail);
  (void)ctx_.runtime->RemoveContainer(*id);
  if (!started) return fail("the install step did not start: " + started.error().message);
  if (exit_code != 0) {
    tracked.last_exit_code = exit_code;
    return fail(fmt::format("the install step exited with code {}", exit_code));
  }
  tracked.installed_digest = plan.digest;
  tracked.install_failed_digest.clear();
  return true;
}

void Reconciler::ForgetImage(const store::Deployment& d, const std::string& service) {
  // The release's image was removed behind our back (a prune, a person): drop it from the
  // release, so that the next pass builds (or pulls) it again instead of failing forever.
  std::map<std::string, std::string> images = d.release_images;
  if (images.erase(service) == 0) return;
  log::Warn("{}/{}: the image of {} is gone; it is built again", d.project, d.name, service);
  if (Status kept = ctx_.deployments->SetRelease(d.id, d.release_commit, images, d.release_nonce);
      !kept) {
    log::Warn("{}/{}: {}", d.project, d.name, kept.error().message);
  }
}

Status Reconciler::StartService(const store::Deployment& d, const ServicePlan& plan,
                                Tracked& tracked) {
  for (const std::string& dir : plan.directories) TRY(fs::CreateDirectories(dir));
  auto id = ctx_.runtime->CreateContainer(plan.spec);
  if (!id && id.error().code == ErrorCode::kNotFound) {
    ForgetImage(d, plan.id);
    return Unexpected(id.error());
  }
  if (!id && id.error().code == ErrorCode::kAlreadyExists) {
    // Left by a pass that died between create and list; it has our name, so it is ours only
    // if the engine lists it under our labels — which it did not, or we would have adopted
    // it. Refuse rather than remove something that may not be ours.
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("a container named {} exists but was not made by this "
                                  "installation",
                                  plan.spec.name));
  }
  if (!id) return Unexpected(id.error());
  TRY(ctx_.runtime->StartContainer(*id));
  tracked.container_id = *id;
  tracked.container_name = plan.spec.name;
  tracked.image = plan.spec.image;
  tracked.running_since = ctx_.now();
  tracked.started_at = ctx_.clock->NowUnix();
  if (auto info = ctx_.runtime->InspectContainer(*id); info && *info) {
    tracked.published = (*info)->published;
    tracked.ip = (*info)->ip;
  }
  if (plan.health) tracked.health.emplace(*plan.health, ctx_.now());
  tracked.state = ServiceState::kStarting;
  log::Info("{}/{}: started {}", d.project, d.name, plan.spec.name);
  return Ok();
}

Result<bool> Reconciler::Converge(const store::Deployment& d,
                                  const std::vector<ServicePlan>& plans) {
  converging_ = &plans;
  struct Reset {
    const std::vector<ServicePlan>*& plans;
    ~Reset() { plans = nullptr; }
  } reset{converging_};
  std::vector<runtime::ContainerInfo> existing =
      TRY(ctx_.runtime->ListContainers(DeploymentLabels(d.id)));
  std::map<std::string, runtime::ContainerInfo> current;  // service id -> its container
  for (const runtime::ContainerInfo& container : existing) {
    std::string service = LabelOf(container.labels, runtime::kLabelComponent);
    const ServicePlan* plan = nullptr;
    for (const ServicePlan& candidate : plans) {
      if (candidate.id == service) plan = &candidate;
    }
    bool wanted = plan != nullptr && LabelOf(container.labels, runtime::kLabelRole) == "service" &&
                  container.name == plan->spec.name &&
                  LabelOf(container.labels, kLabelDigest) == plan->digest;
    if (wanted && !current.contains(service)) {
      current[service] = container;
      continue;
    }
    // Superseded (older generation, changed spec), a leftover install step, or not in the
    // stack any more.
    if (container.state == ContainerState::kRunning) {
      (void)ctx_.runtime->StopContainer(container.id, ctx_.stop_grace);
    }
    Status removed = ctx_.runtime->RemoveContainer(container.id);
    if (!removed && !IsNotFound(removed)) return Unexpected(removed.error());
    log::Info("{}/{}: removed {}", d.project, d.name, container.name);
  }

  bool busy = false;
  TimePoint now = ctx_.now();
  for (const ServicePlan& plan : plans) {
    Tracked& tracked = tracked_[plan.id];
    auto it = current.find(plan.id);
    if (it != current.end()) {
      const runtime::ContainerInfo& container = it->second;
      if (container.state == ContainerState::kRunning) {
        if (tracked.container_id != container.id) {
          // Adopted: started by an earlier run of the server.
          tracked.container_id = container.id;
          tracked.container_name = container.name;
          tracked.image = container.image;
          tracked.running_since = now;
          tracked.started_at = container.started_unix;
          if (auto info = ctx_.runtime->InspectContainer(container.id); info && *info) {
            tracked.published = (*info)->published;
            tracked.ip = (*info)->ip;
            tracked.started_at = (*info)->started_unix;
          }
          tracked.health.reset();
          if (plan.health) tracked.health.emplace(*plan.health, now);
          tracked.installed_digest = plan.digest;
        }
        Probe(plan, tracked, now);
        if (tracked.state == ServiceState::kRunning && now - tracked.running_since >= kBackoffReset) {
          tracked.backoff_step = 0;
        }
        busy |= tracked.state == ServiceState::kStarting;
        continue;
      }
      if (container.state == ContainerState::kPaused) {
        tracked.reason = "paused";
        continue;
      }
      if (container.state == ContainerState::kCreated) {
        TRY(ctx_.runtime->StartContainer(container.id));
        busy = true;
        continue;
      }
      RecordCrash(container, tracked, now);
      log::Info("{}/{}: {} exited with code {}; restart {} in {} ms", d.project, d.name,
                container.name, tracked.last_exit_code.value_or(-1), tracked.restarts,
                std::chrono::duration_cast<std::chrono::milliseconds>(tracked.next_start - now)
                    .count());
      busy = true;
      continue;
    }

    // No container: start one when allowed.
    tracked.container_id.clear();
    tracked.health.reset();
    if (now < tracked.next_start) {
      busy = true;
      continue;
    }
    if (tracked.install_failed_digest == plan.digest && !plan.digest.empty()) continue;
    // The install step (dependencies: `npm ci`) needs the code, not the add-ons: it runs while
    // they start, which takes it off the critical path.
    if (plan.install && tracked.installed_digest != plan.digest) {
      if (!RunInstall(d, plan, tracked)) continue;
    }
    std::vector<std::string> waiting;
    for (const std::string& dependency : plan.depends_on) {
      if (!Ready(dependency)) waiting.push_back(dependency);
    }
    if (!waiting.empty()) {
      tracked.state = ServiceState::kWaiting;
      tracked.reason = "waiting for " + fmt::format("{}", fmt::join(waiting, ", ")) +
                       " to be healthy";
      busy = true;
      continue;
    }
    Status started = StartService(d, plan, tracked);
    if (!started) {
      tracked.state = ServiceState::kCrashed;
      tracked.reason = started.error().message;
      tracked.next_start = now + Backoff(tracked.backoff_step++);
    }
    busy = true;
  }
  // Forget services that left the stack.
  std::erase_if(tracked_, [&](const auto& entry) {
    return std::none_of(plans.begin(), plans.end(),
                        [&](const ServicePlan& plan) { return plan.id == entry.first; });
  });
  return busy;
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
      status.services.push_back(std::move(service));
    }
  } else {
    std::lock_guard lock(status_mutex_);
    status.services = status_.services;
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
