#pragma once

// The single-host runtime driver: the Docker-compatible REST API (v1.41) of Podman or Docker
// Engine, over a unix socket or TCP, through http::Client.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "http/client.h"
#include "runtime/docker_json.h"
#include "runtime/runtime.h"

namespace yard::runtime {

/// Speaks to one engine. Everything it lists is filtered on kLabelManaged=true and
/// kLabelInstallation=<installation id> (on top of the caller's match labels, which cannot
/// override those two), and CreateContainer, CreateNetwork and BuildImage add both labels.
/// Thread-safe: every call opens its own connection.
///
/// Where Podman 4.3's compat API misbehaves, and what is done about it:
/// - its network list and inspect drop the "isolate" option from the networks the engine
///   holds in memory, so that containers started later are not isolated: networks are listed
///   through Podman's own API;
/// - its image list answers nothing when given more than one label filter: images are
///   filtered on the engine by installation and here by the rest (every list is checked here);
/// - build labels become LABEL steps in random order, which defeats the build cache: they are
///   sent as a sorted list, a form Podman accepts and Docker does not;
/// - a port it publishes is not held by any socket, so it picks none itself (host_ports.h);
/// - a name in use, an object in use and a container in the wrong state are all 500s: they
///   are told apart by message (docker::EngineError);
/// - interactive execs: ConsoleSize is ignored and the detach keys cannot be turned off
///   (docker_json.h, ExecStreamStartBody and kTtyDetachKeys);
/// - following logs loses and cuts lines when the container writes faster than the engine
///   reads, and following an exited container loses most of a long log; its timestamps have
///   whole seconds only: a local Podman's logs are followed in conmon's log file instead
///   (podman_log_file.h), and a container that does not run is read without following.
class DockerRuntime final : public Runtime {
 public:
  /// `endpoint`: the engine's API, "unix:///run/podman/podman.sock" or http://HOST:PORT.
  /// `installation_id`: the value of kLabelInstallation on everything this runtime creates and
  /// the only value it lists.
  DockerRuntime(http::Endpoint endpoint, std::string installation_id);

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

  const http::Endpoint& endpoint() const { return endpoint_; }
  const std::string& installation_id() const { return installation_id_; }

  /// `match` plus the two labels every object of this installation carries.
  Labels ManagedLabels(const Labels& match) const;

 private:
  // One request and its whole answer; transport errors get `what` as context.
  Result<http::Response> Call(const std::string& method, const std::string& target,
                              std::string body, std::chrono::milliseconds timeout,
                              std::string_view what, std::string content_type = "application/json");
  // Pause (wanted kPaused) or unpause (kRunning); a refusal while already there is success.
  Status SetPaused(const std::string& id, ContainerState wanted);
  Result<bool> IsPodman();
  // Gives every port the engine would pick itself a host port from runtime/host_ports.h.
  Status PickHostPorts(std::vector<PortPublish>& ports);
  Result<docker::StatsSample> StatsSample(const std::string& id);

  http::Endpoint endpoint_;
  std::string installation_id_;

  std::mutex mutex_;
  std::optional<bool> is_podman_;  // guarded by mutex_
  // The last stats sample per container, for the CPU share between two calls when the engine
  // reports a single sample (Podman). Guarded by mutex_.
  std::map<std::string, docker::StatsSample> last_stats_;
};

}  // namespace yard::runtime
