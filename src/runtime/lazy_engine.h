#pragma once

// A Runtime that reaches its engine only when first used: the server's own `podman system
// service` (EngineProcess) is started on the first call, or an engine socket given with
// `--engine` is used as is. A server without deployments never starts an engine.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "runtime/docker_runtime.h"
#include "runtime/engine_process.h"

namespace yard::runtime {

class LazyEngine final : public Runtime {
 public:
  /// `external`: an engine socket ("unix:///run/docker.sock"); empty: start our own podman
  /// with `options`.
  LazyEngine(EngineOptions options, std::string external, std::string installation_id);
  ~LazyEngine() override;

  /// Stops the engine this object started (containers keep running).
  void Stop();
  /// Whether something has used the engine yet (it is started on first use): watchers that
  /// poll it (the log capture) wait for this rather than start an engine nobody needs.
  bool in_use() const { return in_use_; }

  Result<EngineInfo> Ping() override;
  Result<std::optional<ImageInfo>> InspectImage(const std::string& ref) override;
  Status PullImage(const std::string& ref, const LineSink& progress) override;
  Result<BuildOutcome> BuildImage(const BuildSpec& spec, const LineSink& progress) override;
  Result<std::vector<ImageInfo>> ListImages(const Labels& match) override;
  Status RemoveImage(const std::string& ref) override;
  Result<NetworkInfo> CreateNetwork(const NetworkSpec& spec) override;
  Result<std::vector<NetworkInfo>> ListNetworks(const Labels& match) override;
  Status RemoveNetwork(const std::string& name_or_id) override;
  Result<std::string> CreateContainer(const ContainerSpec& spec) override;
  Status StartContainer(const std::string& id) override;
  Status StopContainer(const std::string& id, std::chrono::seconds grace) override;
  Status RemoveContainer(const std::string& id) override;
  Status PauseContainer(const std::string& id) override;
  Status UnpauseContainer(const std::string& id) override;
  Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) override;
  Result<std::vector<ContainerInfo>> ListContainers(const Labels& match) override;
  Result<std::string> Logs(const std::string& id, const LogOptions& options) override;
  Status FollowLogs(const std::string& id, int64_t since_ns, const LogChunkSink& sink,
                    const std::atomic<bool>* cancel) override;
  Result<ExecResult> Exec(const std::string& id, const ExecSpec& spec) override;
  Result<ExecStream> StartExecStream(const std::string& id, const ExecStreamSpec& spec) override;
  Status ResizeExec(const std::string& exec_id, int rows, int cols) override;
  Result<ExecInfo> InspectExec(const std::string& exec_id) override;
  Result<Stats> ContainerStats(const std::string& id) override;

 private:
  /// The driver, starting the engine first if needed.
  Result<Runtime*> Get();

  EngineOptions options_;
  std::string external_;
  std::string installation_id_;
  std::mutex mutex_;
  std::unique_ptr<EngineProcess> engine_;    // guarded by mutex_
  std::unique_ptr<DockerRuntime> driver_;    // set once, then read without the lock
  std::atomic<bool> in_use_{false};
};

}  // namespace yard::runtime
