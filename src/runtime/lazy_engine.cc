#include "runtime/lazy_engine.h"

#include "base/log.h"
#include "runtime/build_cgroup.h"

namespace yard::runtime {

LazyEngine::LazyEngine(EngineOptions options, std::string external, std::string installation_id)
    : options_(std::move(options)),
      external_(std::move(external)),
      installation_id_(std::move(installation_id)) {}

LazyEngine::~LazyEngine() { Stop(); }

void LazyEngine::Stop() {
  std::lock_guard lock(mutex_);
  if (engine_) engine_->Stop();
}

namespace {

// Before the first build: a server of this installation that died mid-build (its engine
// service ended with it) may have left a step running (build_cgroup.h).
void StopLeftoverBuildsOf(const std::string& installation_id) {
  auto killed = StopLeftoverBuilds(installation_id);
  if (!killed) {
    log::Warn("stopping builds a previous server left running: {}", killed.error().message);
  } else if (*killed > 0) {
    log::Info("stopped {} processes of builds a previous server left running", *killed);
  }
}

}  // namespace

Result<Runtime*> LazyEngine::Get() {
  std::lock_guard lock(mutex_);
  if (driver_) return driver_.get();
  if (!external_.empty()) {
    http::Endpoint endpoint = TRY_CTX(http::Endpoint::Parse(external_), "--engine");
    driver_ = std::make_unique<DockerRuntime>(endpoint, installation_id_);
    StopLeftoverBuildsOf(installation_id_);
    in_use_ = true;
    return driver_.get();
  }
  engine_ = std::make_unique<EngineProcess>(options_);
  if (Status started = engine_->Start(); !started) {
    engine_.reset();  // the next call tries again
    return Unexpected(started.error().WithContext("starting podman"));
  }
  log::Info("container engine: podman service on {}", engine_->socket_path());
  driver_ = std::make_unique<DockerRuntime>(engine_->endpoint(), installation_id_);
  StopLeftoverBuildsOf(installation_id_);
  in_use_ = true;
  return driver_.get();
}

Result<EngineInfo> LazyEngine::Ping() {
  Runtime* driver = TRY(Get());
  return driver->Ping();
}

Result<std::optional<ImageInfo>> LazyEngine::InspectImage(const std::string& ref) {
  Runtime* driver = TRY(Get());
  return driver->InspectImage(ref);
}

Status LazyEngine::PullImage(const std::string& ref, const LineSink& progress) {
  Runtime* driver = TRY(Get());
  return driver->PullImage(ref, progress);
}

Result<BuildOutcome> LazyEngine::BuildImage(const BuildSpec& spec, const LineSink& progress) {
  Runtime* driver = TRY(Get());
  return driver->BuildImage(spec, progress);
}

Result<std::vector<ImageInfo>> LazyEngine::ListImages(const Labels& match) {
  Runtime* driver = TRY(Get());
  return driver->ListImages(match);
}

Status LazyEngine::RemoveImage(const std::string& ref) {
  Runtime* driver = TRY(Get());
  return driver->RemoveImage(ref);
}

Result<NetworkInfo> LazyEngine::CreateNetwork(const NetworkSpec& spec) {
  Runtime* driver = TRY(Get());
  return driver->CreateNetwork(spec);
}

Result<std::vector<NetworkInfo>> LazyEngine::ListNetworks(const Labels& match) {
  Runtime* driver = TRY(Get());
  return driver->ListNetworks(match);
}

Status LazyEngine::RemoveNetwork(const std::string& name_or_id) {
  Runtime* driver = TRY(Get());
  return driver->RemoveNetwork(name_or_id);
}

Result<std::string> LazyEngine::CreateContainer(const ContainerSpec& spec) {
  Runtime* driver = TRY(Get());
  return driver->CreateContainer(spec);
}

Status LazyEngine::StartContainer(const std::string& id) {
  Runtime* driver = TRY(Get());
  return driver->StartContainer(id);
}

Status LazyEngine::StopContainer(const std::string& id, std::chrono::seconds grace) {
  Runtime* driver = TRY(Get());
  return driver->StopContainer(id, grace);
}

Status LazyEngine::RemoveContainer(const std::string& id) {
  Runtime* driver = TRY(Get());
  return driver->RemoveContainer(id);
}

Status LazyEngine::PauseContainer(const std::string& id) {
  Runtime* driver = TRY(Get());
  return driver->PauseContainer(id);
}

Status LazyEngine::UnpauseContainer(const std::string& id) {
  Runtime* driver = TRY(Get());
  return driver->UnpauseContainer(id);
}

Result<std::optional<ContainerInfo>> LazyEngine::InspectContainer(const std::string& id) {
  Runtime* driver = TRY(Get());
  return driver->InspectContainer(id);
}

Result<std::vector<ContainerInfo>> LazyEngine::ListContainers(const Labels& match) {
  Runtime* driver = TRY(Get());
  return driver->ListContainers(match);
}

Result<std::string> LazyEngine::Logs(const std::string& id, const LogOptions& options) {
  Runtime* driver = TRY(Get());
  return driver->Logs(id, options);
}

Status LazyEngine::FollowLogs(const std::string& id, int64_t since_ns, const LogChunkSink& sink,
                              const std::atomic<bool>* cancel) {
  Runtime* driver = TRY(Get());
  return driver->FollowLogs(id, since_ns, sink, cancel);
}

Result<ExecResult> LazyEngine::Exec(const std::string& id, const ExecSpec& spec) {
  Runtime* driver = TRY(Get());
  return driver->Exec(id, spec);
}

Result<ExecStream> LazyEngine::StartExecStream(const std::string& id, const ExecStreamSpec& spec) {
  Runtime* driver = TRY(Get());
  return driver->StartExecStream(id, spec);
}

Status LazyEngine::ResizeExec(const std::string& exec_id, int rows, int cols) {
  Runtime* driver = TRY(Get());
  return driver->ResizeExec(exec_id, rows, cols);
}

Result<ExecInfo> LazyEngine::InspectExec(const std::string& exec_id) {
  Runtime* driver = TRY(Get());
  return driver->InspectExec(exec_id);
}

Result<Stats> LazyEngine::ContainerStats(const std::string& id) {
  Runtime* driver = TRY(Get());
  return driver->ContainerStats(id);
}

}  // namespace yard::runtime
