#include "deployments/clone.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/log.h"
#include "base/names.h"
#include "controller/release_inputs.h"
#include "git/bare_repository.h"
#include "volumes/copy_tree.h"
#include "events/kinds.h"

namespace yard::deployments {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// Written into the new deployment's directory before anything is paused, removed at the
// hand-over: what Recover needs after a crash (the row alone does not say what was paused).
constexpr const char* kMarker = ".clone.json";
// The row's reason (what `yard deployments show` prints) follows the copy this often.
constexpr auto kPublishEvery = std::chrono::milliseconds(500);

std::string Bytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  const char* unit = "KiB";
  for (const char* next : {"MiB", "GiB", "TiB"}) {
    if (value / 1024 < 1024) break;
    value /= 1024;
    unit = next;
  }
  return fmt::format("{:.1f} {}", value / 1024, unit);
}

int Percent(int64_t done, int64_t total) {
  return total <= 0 ? 100 : static_cast<int>(done * 100 / total);
}

// Services with storage volumes: the names under DATA/.
std::vector<std::string> StorageServices(const std::string& data_dir) {
  std::vector<std::string> out;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, error)) {
    if (entry.is_directory(error)) out.push_back(entry.path().filename().string());
  }
  return out;
}

}  // namespace

std::string_view CloneStateName(CloneProgress::State state) {
  switch (state) {
    case CloneProgress::State::kCopying:
      return "copying";
    case CloneProgress::State::kDone:
      return "done";
    case CloneProgress::State::kFailed:
      return "failed";
  }
  return "unknown";
}

struct Cloner::Job {
  store::Deployment source;
  store::Deployment target;  // the new row
  store::User by;
  bool copy_code = false;
  CloneProgress progress;  // this thread's copy; published to progress_
  SteadyClock::time_point started = SteadyClock::now();
  SteadyClock::time_point published;
};

Cloner::~Cloner() { Stop(); }

Result<store::Deployment> Cloner::Clone(const store::Project& project,
                                        const store::Deployment& source,
                                        const CloneRequest& request, const store::User& by) {
  TRY(ValidateName(request.name, "deployment"));
  if (source.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("deployment '{}' is being deleted", source.name));
  }
  if (source.phase == kCloningPhase) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("deployment '{}' is itself being cloned; clone it once it has "
                                  "started",
                                  source.name));
  }
  // What the source runs (a rollback included), else what it is about to run.
  std::string commit =
      !source.release_commit.empty() ? source.release_commit : source.target_commit;
  if (commit.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("deployment '{}' has no commit yet; clone it once it has "
                                  "started",
                                  source.name));
  }
  std::string stage_id = request.stage.empty() ? source.stage : request.stage;
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  manifest::ParseResult parsed = TRY(controller::LoadStackAt(repository, commit));
  const manifest::Stage* stage = controller::FindStage(parsed.stack, stage_id);
  if (stage == nullptr) {
    std::vector<std::string> ids;
    for (const manifest::Stage& candidate : parsed.stack.stages) ids.push_back(candidate.id);
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the stack at {} has no stage '{}'; stages: {}",
                                  commit.substr(0, 12), stage_id, fmt::join(ids, ", ")));
  }
  if (ctx_.store.FindByName(project.id, request.name)) {
    return Unexpected(ErrorCode::kAlreadyExists,
                      fmt::format("deployment '{}' already exists in this project", request.name));
  }
  std::string dir = ctx_.naming.DeploymentDir(project.name, request.name);
  if (fs::Exists(dir)) {
    // Copying into a directory a deployment of that name left would mix two deployments.
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is left on disk from an earlier deployment named '{}': "
                                  "remove it or choose another name",
                                  dir, request.name));
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Unexpected(ErrorCode::kUnavailable, "the server is stopping");
    for (int64_t id : finished_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      if (it->second.joinable()) it->second.join();
      threads_.erase(it);
    }
    finished_.clear();
  }

  store::Deployment d;
  d.project_id = project.id;
  d.name = request.name;
  d.stage = stage_id;
  d.branch = source.branch;
  // As stored: sealed secrets (secrets/secret_box.h) stay sealed.
  d.params = source.params;
  d.env = source.env;
  Limits limits = request.size.value_or(Limits{source.cpu_millis, source.memory_bytes});
  d.cpu_millis = limits.cpu_millis;
  d.memory_bytes = limits.memory_bytes;
  d.desired = store::Desired::kRunning;
  d.target_commit = commit;
  d.auto_deploy = source.auto_deploy;
  d.phase = std::string(kCloningPhase);
  d.reason = fmt::format("copying the volumes of '{}'", source.name);
  d.created_by = by.id;
  store::Deployment created = TRY(ctx_.store.Create(std::move(d)));
  // Generated passwords and the like: the copied data was made with them.
  Status values = [&]() -> Status {
    return ctx_.store.AddValues(created.id, TRY(ctx_.store.Values(source.id)));
  }();
  if (!values) {
    (void)ctx_.store.Delete(created.id);
    return Unexpected(values.error());
  }

  auto job = std::make_shared<Job>();
  job->source = source;
  job->target = created;
  job->by = by;
  job->copy_code = stage->kind == manifest::StageKind::kDev &&
                   fs::Exists(ctx_.naming.CodeDir(source.project, source.name));
  job->progress = {
      .deployment_id = created.id, .source = source.name, .started_at = ctx_.clock.NowUnix()};
  std::lock_guard lock(mutex_);
  progress_[{project.id, created.name}] = job->progress;
  threads_[created.id] = std::thread([this, job] { Run(*job); });
  return created;
}

std::optional<CloneProgress> Cloner::ProgressOf(int64_t project_id, const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = progress_.find({project_id, name});
  if (it == progress_.end()) return std::nullopt;
  return it->second;
}

void Cloner::Run(Job& job) {
  const store::Deployment& target = job.target;
  Status copied = Copy(job);
  if (copied) {
    // The hand-over: from "creating" on, the controller runs the clone as any new deployment.
    copied = ctx_.store.SetPhase(target.id, "creating", "");
  }
  if (!copied) {
    Fail(job, copied.error());
  } else {
    (void)fs::RemoveFile(ctx_.naming.DeploymentDir(target.project, target.name) + "/" + kMarker);
    double seconds = std::chrono::duration<double>(SteadyClock::now() - job.started).count();
    log::Info("{}/{}: cloned from {} ({}{}) in {:.1f} s", target.project, target.name,
              job.source.name, Bytes(job.progress.bytes_total),
              job.progress.reflinks ? ", reflinks" : "", seconds);
    job.progress.state = CloneProgress::State::kDone;
    job.progress.bytes_done = job.progress.bytes_total;
    job.progress.finished_at = ctx_.clock.NowUnix();
    job.progress.seconds = seconds;
    Publish(job, /*force=*/true);
    if (events_ != nullptr) {
      events_->Record(
          {.project_id = target.project_id,
           .project = target.project,
           .deployment_id = target.id,
           .deployment = target.name,
           .actor_id = job.by.id,
           .actor = job.by.name,
           .kind = std::string(events::kDeploymentCloned),
           .message = fmt::format("cloned from '{}' as a {} deployment ({} copied)",
                                  job.source.name, target.stage, Bytes(job.progress.bytes_total)),
           .data = {{"source", job.source.name},
                    {"stage", target.stage},
                    {"bytes", job.progress.bytes_total},
                    {"reflinks", job.progress.reflinks},
                    {"seconds", seconds}}});
    }
    if (ctx_.controller != nullptr) ctx_.controller->Wake(target.id);
  }
  std::lock_guard lock(mutex_);
  finished_.push_back(target.id);
}

Status Cloner::Copy(Job& job) {
  const store::Deployment& source = job.source;
  const store::Deployment& target = job.target;
  std::string from = ctx_.naming.DeploymentDir(source.project, source.name);
  std::string to = ctx_.naming.DeploymentDir(target.project, target.name);
  std::string from_code = ctx_.naming.CodeDir(source.project, source.name);
  std::string to_code = ctx_.naming.CodeDir(target.project, target.name);
  bool data = fs::Exists(from + "/data");

  int64_t total = 0;
  if (data) total += TRY(volumes::MeasureTree(from + "/data")).bytes;
  if (job.copy_code) total += TRY(volumes::MeasureTree(from_code)).bytes;
  job.progress.bytes_total = total;
  Publish(job, /*force=*/true);
  TRY(fs::CreateDirectories(to));

  int64_t offset = 0;
  int64_t files = 0, reflinked = 0;
  auto copy = [&](const std::string& tree_from, const std::string& tree_to) -> Status {
    volumes::CopyOptions options{.reflink = ctx_.reflink,
                                 .progress = [&](const volumes::CopyProgress& progress) {
                                   job.progress.bytes_done = offset + progress.bytes_done;
                                   Publish(job, /*force=*/false);
                                   return !stop_copies_.load();
                                 }};
    volumes::CopyResult result =
        TRY_CTX(volumes::CopyTree(tree_from, tree_to, options), "copying the volumes");
    offset += result.bytes;
    files += result.files;
    reflinked += result.reflinked_files;
    return Ok();
  };

  if (data) {
    // Every running container of a service with storage is frozen while the storage is
    // copied: the copy is then what the disk held at one instant, for all of them at once.
    std::vector<std::string> services = StorageServices(from + "/data");
    std::vector<std::string> to_pause;
    if (ctx_.runtime != nullptr) {
      runtime::Labels match = {{std::string(runtime::kLabelDeployment), std::to_string(source.id)}};
      for (const runtime::ContainerInfo& container : TRY(ctx_.runtime->ListContainers(match))) {
        auto component = container.labels.find(std::string(runtime::kLabelComponent));
        if (container.state != runtime::ContainerState::kRunning ||
            component == container.labels.end() ||
            std::find(services.begin(), services.end(), component->second) == services.end()) {
          continue;
        }
        to_pause.push_back(container.id);
      }
    }
    Json marker = {{"source_id", source.id}, {"source", source.name}, {"paused", to_pause}};
    TRY(fs::AtomicWriteFile(to + "/" + kMarker, marker.dump() + "\n", 0600));
    std::vector<std::string> paused;
    Status copied = Ok();
    for (const std::string& id : to_pause) {
      Status frozen = ctx_.runtime->PauseContainer(id);
      if (!frozen) {
        copied = Unexpected(frozen.error().code,
                            fmt::format("pausing {}'s container {}: {}", source.name,
                                        id.substr(0, 12), frozen.error().message));
        break;
      }
      paused.push_back(id);
    }
    if (copied) copied = copy(from + "/data", to + "/data");
    // Always, and before anything else can fail: the source serves again.
    for (const std::string& id : paused) {
      Status thawed = ctx_.runtime->UnpauseContainer(id);
      if (!thawed) thawed = ctx_.runtime->UnpauseContainer(id);
      if (!thawed) {
        log::Warn("{}/{}: unpausing container {}: {}", source.project, source.name,
                  id.substr(0, 12), thawed.error().message);
      }
    }
    TRY(std::move(copied));
  }
  if (job.copy_code) TRY(copy(from_code, to_code));
  job.progress.reflinks = files > 0 && reflinked == files;
  return Ok();
}

void Cloner::Publish(Job& job, bool force) {
  auto now = SteadyClock::now();
  if (!force && now - job.published < kPublishEvery) return;
  job.published = now;
  {
    std::lock_guard lock(mutex_);
    progress_[{job.target.project_id, job.target.name}] = job.progress;
  }
  if (job.progress.state != CloneProgress::State::kCopying) return;
  std::string reason = fmt::format("copying the volumes of '{}': {} of {} ({}%)", job.source.name,
                                   Bytes(job.progress.bytes_done), Bytes(job.progress.bytes_total),
                                   Percent(job.progress.bytes_done, job.progress.bytes_total));
  (void)ctx_.store.SetPhase(job.target.id, std::string(kCloningPhase), reason);
}

void Cloner::Fail(Job& job, const Error& error) {
  const store::Deployment& target = job.target;
  log::Warn("{}/{}: the clone of {} failed: {}", target.project, target.name, job.source.name,
            error.message);
  // Nothing of a half-made clone is kept: its row and its partial volumes go.
  if (Status removed = volumes::RemoveTree(ctx_.naming.DeploymentDir(target.project, target.name));
      !removed) {
    log::Warn("{}", removed.error().message);
  }
  Status deleted = ctx_.store.Delete(target.id);
  if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
    log::Warn("{}/{}: removing the failed clone: {}", target.project, target.name,
              deleted.error().message);
  }
  job.progress.state = CloneProgress::State::kFailed;
  job.progress.error =
      error.code == ErrorCode::kCancelled ? "the server stopped during the copy" : error.message;
  job.progress.finished_at = ctx_.clock.NowUnix();
  Publish(job, /*force=*/true);
  if (events_ != nullptr) {
    events_->Record({.project_id = target.project_id,
                     .project = target.project,
                     .deployment_id = target.id,
                     .deployment = target.name,
                     .actor_id = job.by.id,
                     .actor = job.by.name,
                     .kind = std::string(events::kDeploymentCloneFailed),
                     .message = fmt::format("the clone of '{}' failed and was removed: {}",
                                            job.source.name, job.progress.error),
                     .data = {{"source", job.source.name}, {"error", job.progress.error}}});
  }
}

Status Cloner::Recover() {
  for (const store::Deployment& d : TRY(ctx_.store.ListAll())) {
    if (d.phase != kCloningPhase) continue;
    std::string dir = ctx_.naming.DeploymentDir(d.project, d.name);
    std::string source = "another deployment";
    if (auto text = fs::ReadFile(dir + "/" + kMarker)) {
      Json marker = Json::parse(*text, nullptr, false);
      if (marker.is_object()) {
        source = fmt::format("'{}'", marker.value("source", ""));
        for (const Json& id : marker.value("paused", Json::array())) {
          if (!id.is_string() || ctx_.runtime == nullptr) continue;
          // Fails harmlessly for a container that was not paused yet, or is gone.
          (void)ctx_.runtime->UnpauseContainer(id.get<std::string>());
        }
      }
    }
    TRY(volumes::RemoveTree(dir));
    TRY(ctx_.store.Delete(d.id));
    std::string why = fmt::format("the server stopped while {} was being cloned into it", source);
    log::Warn("{}/{}: removed: {}; clone again", d.project, d.name, why);
    if (events_ != nullptr) {
      events_->Record({.project_id = d.project_id,
                       .project = d.project,
                       .deployment_id = d.id,
                       .deployment = d.name,
                       .kind = std::string(events::kDeploymentCloneFailed),
                       .message = fmt::format("removed the unfinished clone: {}", why),
                       .data = {{"error", why}}});
    }
  }
  return Ok();
}

void Cloner::Stop() {
  std::map<int64_t, std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  stop_copies_ = true;
  for (auto& [id, thread] : threads) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace yard::deployments
