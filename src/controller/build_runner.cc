#include "controller/build_runner.h"

#include <cstdio>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/log.h"
#include "controller/image_pruner.h"
#include "controller/release_inputs.h"
#include "events/kinds.h"

namespace yard::controller {
namespace {

// Appends to a build's log file line by line, flushed, so that `yard builds logs -f` shows
// the build as it runs.
class BuildLog {
 public:
  explicit BuildLog(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {}
  ~BuildLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  BuildLog(const BuildLog&) = delete;
  BuildLog& operator=(const BuildLog&) = delete;
  void Line(std::string_view line) {
    if (file_ == nullptr) return;
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fputc('\n', file_);
    std::fflush(file_);
  }

 private:
  std::FILE* file_;
};

}  // namespace

BuildRunner::BuildRunner(ControllerContext& context, BuildRunnerOptions options,
                         std::function<void(int64_t)> finished)
    : ctx_(context), options_(options), finished_(std::move(finished)) {}

BuildRunner::~BuildRunner() { Stop(std::chrono::seconds(30)); }

void BuildRunner::Start() {
  std::lock_guard lock(mutex_);
  if (!threads_.empty()) return;
  for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

bool BuildRunner::Stop(std::chrono::milliseconds grace) {
  std::vector<std::thread> threads;
  bool ended = true;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (auto& [id, running] : running_) {
      running->why = "the server stopped during this build";
      running->interrupt = true;
      running->cancel = true;
    }
    wake_.notify_all();
    ended = wake_.wait_for(lock, grace, [&] { return active_ == 0; });
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) {
    // A thread still in a build is left to the process's exit; the next start marks its
    // build interrupted.
    if (ended) {
      thread.join();
    } else {
      thread.detach();
    }
  }
  return ended;
}

void BuildRunner::Wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wake_.notify_all();
}

Status BuildRunner::Cancel(int64_t build_id, const std::string& why) {
  store::BuildRecord build = TRY(ctx_.builds->Find(build_id));
  if (build.state == store::BuildState::kQueued && TRY(ctx_.builds->CancelQueued(build_id, why))) {
    if (ctx_.events != nullptr) ctx_.events->Record(events::BuildCancelled(build, why));
    return Ok();
  }
  {
    std::lock_guard lock(mutex_);
    auto it = running_.find(build_id);
    if (it != running_.end()) {
      it->second->why = why;
      it->second->cancel = true;
      return Ok();
    }
  }
  build = TRY(ctx_.builds->Find(build_id));
  if (store::IsFinished(build.state)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("build {} has finished already ({})", build_id,
                                  store::BuildStateName(build.state)));
  }
  // Claimed a moment ago and not registered yet: Execute finds the request when it does.
  std::lock_guard lock(mutex_);
  early_cancels_[build_id] = why;
  return Ok();
}

void BuildRunner::Run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
    }
    if (RunNext()) continue;
    std::unique_lock lock(mutex_);
    // The timer covers a wake lost between the claim and the wait, and store errors.
    wake_.wait_for(lock, std::chrono::seconds(5), [&] { return woken_ || stopping_; });
    woken_ = false;
  }
}

bool BuildRunner::RunNext() {
  auto claimed = ctx_.builds->ClaimNext();
  if (!claimed) {
    log::Warn("build queue: {}", claimed.error().message);
    return false;
  }
  if (!*claimed) return false;
  Execute(**claimed);
  return true;
}

void BuildRunner::Execute(const store::BuildRecord& build) {
  auto running = std::make_shared<Running>();
  {
    std::lock_guard lock(mutex_);
    running_[build.id] = running;
    ++active_;
    if (stopping_) {
      running->why = "the server stopped during this build";
      running->interrupt = true;
      running->cancel = true;
    }
    if (auto early = early_cancels_.find(build.id); early != early_cancels_.end()) {
      running->why = early->second;
      running->cancel = true;
      early_cancels_.erase(early);
    }
  }
  Status made_dirs = fs::CreateDirectories(ctx_.build_logs_dir);
  if (!made_dirs) log::Warn("build {}: {}", build.id, made_dirs.error().message);
  BuildLog log(fmt::format("{}/{}.log", ctx_.build_logs_dir, build.id));
  log.Line(fmt::format("build {} at commit {} ({})", build.id, build.commit, build.reason));
  if (ctx_.events != nullptr) ctx_.events->Record(events::BuildStarted(build));

  Result<ImageSet> set = MakeImages(build, running->cancel, [&](std::string_view line) {
    log.Line(line);
  });
  store::BuildState state = store::BuildState::kSucceeded;
  std::string error;
  if (running->cancel) {
    std::lock_guard lock(mutex_);
    state = running->interrupt ? store::BuildState::kInterrupted : store::BuildState::kCancelled;
    error = running->why.empty() ? "cancelled" : running->why;
  } else if (!set) {
    state = store::BuildState::kFailed;
    error = set.error().message;
  } else if (!set->ok) {
    state = store::BuildState::kFailed;
    error = set->error;
  }
  log.Line(state == store::BuildState::kSucceeded
               ? "build succeeded"
               : fmt::format("build {}: {}", store::BuildStateName(state), error));
  Status recorded = ctx_.builds->Finish(build.id, state, error,
                                        state == store::BuildState::kSucceeded
                                            ? set->images
                                            : std::map<std::string, std::string>{});
  if (!recorded) log::Warn("build {}: {}", build.id, recorded.error().message);
  if (ctx_.events != nullptr) ctx_.events->Record(events::BuildEnded(build, state, error));
  log::Info("build {} of deployment {} {}{}", build.id, build.deployment_id,
            store::BuildStateName(state), error.empty() ? "" : ": " + error);
  {
    std::lock_guard lock(mutex_);
    running_.erase(build.id);
    --active_;
    wake_.notify_all();
  }
  if (finished_) finished_(build.deployment_id);
  if (state == store::BuildState::kSucceeded) {
    // Here rather than on the deployment's worker: listing images takes the engine a second
    // or more, which a rollout should not wait for. Images built in the last hour are kept,
    // this build's among them.
    auto pruned = PruneImages(*ctx_.runtime, *ctx_.releases, *ctx_.builds, ctx_.keep_releases,
                              ctx_.clock->NowUnix());
    if (!pruned) log::Warn("pruning images: {}", pruned.error().message);
  }
}

Result<ImageSet> BuildRunner::MakeImages(const store::BuildRecord& build,
                                         const std::atomic<bool>& cancel,
                                         const runtime::LineSink& log) {
  store::Deployment d = TRY(ctx_.deployments->Find(build.deployment_id));
  store::Project project = TRY(ctx_.projects->FindByName(d.project));
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  manifest::ParseResult parsed = TRY(LoadStackAt(repository, build.commit));
  const manifest::Stage* stage = FindStage(parsed.stack, d.stage);
  if (stage == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the stack at {} has no stage '{}'", build.commit.substr(0, 12),
                                  d.stage));
  }
  manifest::EnvResolution env = TRY(ResolveDeploymentEnv(ctx_, d, parsed.stack, build.commit));
  ImageBuilder builder(*ctx_.runtime, ctx_.naming);
  ImageRequest request{.stack = &parsed.stack,
                       .stage = stage,
                       .env = &env,
                       .project = d.project,
                       .commit = build.commit,
                       .code_dir = ctx_.naming.CodeDir(d.project, d.name),
                       .repository = &repository,
                       // Another nonce than the release's: a rebuild was asked for.
                       .force = build.nonce != d.release_nonce,
                       .build_cpus = options_.cpus,
                       .build_memory_bytes = options_.memory_bytes,
                       .build_timeout = options_.timeout,
                       .cancel = &cancel};
  return builder.Prepare(request, log);
}

}  // namespace yard::controller
