#include "runtime/docker_runtime.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>
#include <utility>

#include "runtime/firewall_ports.h"
#include "runtime/host_ports.h"

namespace yard::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kCallTimeout = seconds(30);
// Force-removing a running container waits for it to be killed and its storage released.
constexpr milliseconds kRemoveTimeout = seconds(120);
// Stopping waits for the grace period, then for the kill.
constexpr milliseconds kStopSlack = seconds(30);

std::string Api(std::string_view path) {
  return std::string(docker::kApiPrefix) + std::string(path);
}

bool Success(int status) { return status >= 200 && status < 300; }

}  // namespace

DockerRuntime::DockerRuntime(http::Endpoint endpoint, std::string installation_id)
    : endpoint_(std::move(endpoint)), installation_id_(std::move(installation_id)) {}

Labels DockerRuntime::ManagedLabels(const Labels& match) const {
  Labels labels = match;
  labels[std::string(kLabelManaged)] = "true";
  labels[std::string(kLabelInstallation)] = installation_id_;
  return labels;
}

Result<http::Response> DockerRuntime::Call(const std::string& method, const std::string& target,
                                           std::string body, milliseconds timeout,
                                           std::string_view what, std::string content_type) {
  http::ClientRequest request;
  request.method = method;
  request.target = target;
  request.body = std::move(body);
  request.content_type = std::move(content_type);
  http::Client client(endpoint_);
  return TRY_CTX(client.Send(request, timeout), what);
}

Result<bool> DockerRuntime::IsPodman() {
  {
    std::lock_guard lock(mutex_);
    if (is_podman_) return *is_podman_;
  }
  EngineInfo info = TRY(Ping());
  return info.name == "podman";
}

Result<EngineInfo> DockerRuntime::Ping() {
  auto response = TRY(Call("GET", Api("/version"), "", kCallTimeout, "ask the engine's version"));
  if (response.status != 200) {
    return Unexpected(
        docker::EngineError(response.status, response.body, "ask the engine's version"));
  }
  EngineInfo info = TRY(docker::ParseVersion(response.body));
  std::lock_guard lock(mutex_);
  is_podman_ = info.name == "podman";
  return info;
}

// ---- Images -------------------------------------------------------------------------------

Result<std::optional<ImageInfo>> DockerRuntime::InspectImage(const std::string& ref) {
  std::string what = fmt::format("inspect image {}", ref);
  auto response =
      TRY(Call("GET", Api("/images/" + docker::EscapeRef(ref) + "/json"), "", kCallTimeout, what));
  if (response.status == 404) return std::optional<ImageInfo>();
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return std::optional<ImageInfo>(TRY(docker::ParseImageInspect(response.body)));
}

Result<std::vector<ImageInfo>> DockerRuntime::ListImages(const Labels& match) {
  Labels managed = ManagedLabels(match);
  // One label only: Podman 4.3 answers an empty list to several (see docker::HasLabels).
  Labels installation = {{std::string(kLabelInstallation), installation_id_}};
  auto response = TRY(Call("GET", Api("/images/json?filters=" + docker::LabelFilter(installation)),
                           "", kCallTimeout, "list images"));
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, "list images"));
  }
  auto images = TRY(docker::ParseImageList(response.body));
  std::erase_if(images,
                [&](const ImageInfo& image) { return !docker::HasLabels(image.labels, managed); });
  return images;
}

Status DockerRuntime::RemoveImage(const std::string& ref) {
  std::string what = fmt::format("remove image {}", ref);
  auto response =
      TRY(Call("DELETE", Api("/images/" + docker::EscapeRef(ref)), "", kRemoveTimeout, what));
  if (!Success(response.status)) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return Ok();
}

// ---- Networks -----------------------------------------------------------------------------

Result<NetworkInfo> DockerRuntime::CreateNetwork(const NetworkSpec& spec) {
  std::string what = fmt::format("create network {}", spec.name);
  if (spec.name.empty()) return Unexpected(ErrorCode::kInvalidArgument, what + ": no name");
  NetworkSpec managed = spec;
  managed.labels = ManagedLabels(spec.labels);
  auto response = TRY(Call("POST", Api("/networks/create"), docker::NetworkCreateBody(managed),
                           kCallTimeout, what));
  if (!Success(response.status)) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  NetworkInfo info;
  info.id = TRY(docker::ParseId(response.body));
  info.name = spec.name;
  info.labels = std::move(managed.labels);
  return info;
}

Result<std::vector<NetworkInfo>> DockerRuntime::ListNetworks(const Labels& match) {
  Labels managed = ManagedLabels(match);
  std::string filter = "?filters=" + docker::LabelFilter(managed);
  // Podman 4.3's compat network list and inspect strip the "isolate" option from the networks
  // the engine holds in memory; containers started later on those networks are then not
  // isolated. Its own API leaves them alone.
  bool podman = TRY(IsPodman());
  std::string target = podman ? std::string(docker::kLibpodPrefix) + "/networks/json" + filter
                              : Api("/networks" + filter);
  auto response = TRY(Call("GET", target, "", kCallTimeout, "list networks"));
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, "list networks"));
  }
  auto networks = TRY(docker::ParseNetworkList(response.body));
  std::erase_if(networks, [&](const NetworkInfo& network) {
    return !docker::HasLabels(network.labels, managed);
  });
  return networks;
}

Status DockerRuntime::RemoveNetwork(const std::string& name_or_id) {
  std::string what = fmt::format("remove network {}", name_or_id);
  auto response = TRY(
      Call("DELETE", Api("/networks/" + docker::EscapeRef(name_or_id)), "", kCallTimeout, what));
  if (!Success(response.status)) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return Ok();
}

// ---- Containers ---------------------------------------------------------------------------

Result<std::string> DockerRuntime::CreateContainer(const ContainerSpec& spec) {
  std::string what = fmt::format("create container {}", spec.name);
  if (spec.image.empty()) return Unexpected(ErrorCode::kInvalidArgument, what + ": no image");
  ContainerSpec managed = spec;
  managed.labels = ManagedLabels(spec.labels);
  TRY(PickHostPorts(managed.ports));
  std::string target = Api("/containers/create");
  if (!spec.name.empty()) target += "?name=" + http::PercentEncode(spec.name);
  auto response =
      TRY(Call("POST", target, docker::ContainerCreateBody(managed), kCallTimeout, what));
  if (!Success(response.status)) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return docker::ParseId(response.body);
}

Status DockerRuntime::StartContainer(const std::string& id) {
  std::string what = fmt::format("start container {}", id);
  auto response = TRY(
      Call("POST", Api("/containers/" + docker::EscapeRef(id) + "/start"), "", kCallTimeout, what));
  // 304: already running.
  if (!Success(response.status) && response.status != 304) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return Ok();
}

Status DockerRuntime::StopContainer(const std::string& id, std::chrono::seconds grace) {
  std::string what = fmt::format("stop container {}", id);
  auto response = TRY(Call(
      "POST", Api(fmt::format("/containers/{}/stop?t={}", docker::EscapeRef(id), grace.count())),
      "", grace + kStopSlack, what));
  // 304: already stopped.
  if (!Success(response.status) && response.status != 304) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return Ok();
}

Status DockerRuntime::RemoveContainer(const std::string& id) {
  std::string what = fmt::format("remove container {}", id);
  auto response = TRY(Call("DELETE", Api("/containers/" + docker::EscapeRef(id) + "?force=1&v=1"),
                           "", kRemoveTimeout, what));
  if (!Success(response.status)) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return Ok();
}

Status DockerRuntime::PauseContainer(const std::string& id) {
  return SetPaused(id, ContainerState::kPaused);
}

Status DockerRuntime::UnpauseContainer(const std::string& id) {
  return SetPaused(id, ContainerState::kRunning);
}

Status DockerRuntime::SetPaused(const std::string& id, ContainerState wanted) {
  std::string verb = wanted == ContainerState::kPaused ? "pause" : "unpause";
  std::string what = fmt::format("{} container {}", verb, id);
  auto response = TRY(Call("POST", Api("/containers/" + docker::EscapeRef(id) + "/" + verb), "",
                           kCallTimeout, what));
  if (Success(response.status)) return Ok();
  Error error = docker::EngineError(response.status, response.body, what);
  if (error.code == ErrorCode::kFailedPrecondition) {
    // Pausing a paused container (or unpausing a running one) is refused by both engines (Podman
    // with a 500, Docker with a 409); it already is where the caller wants it.
    auto info = TRY(InspectContainer(id));
    if (info && info->state == wanted) return Ok();
  }
  return Unexpected(std::move(error));
}

Result<std::optional<ContainerInfo>> DockerRuntime::InspectContainer(const std::string& id) {
  std::string what = fmt::format("inspect container {}", id);
  auto response = TRY(
      Call("GET", Api("/containers/" + docker::EscapeRef(id) + "/json"), "", kCallTimeout, what));
  if (response.status == 404) return std::optional<ContainerInfo>();
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return std::optional<ContainerInfo>(TRY(docker::ParseContainerInspect(response.body)));
}

Status DockerRuntime::PickHostPorts(std::vector<PortPublish>& ports) {
  // One allocator for the whole process: the hazard (see host_ports.h) is the host's.
  static HostPortAllocator allocator(DefaultPublishRange());
  auto unpicked = [](const PortPublish& port) { return port.host_port == 0; };
  if (std::none_of(ports.begin(), ports.end(), unpicked)) return Ok();
  // Every container's ports, ours or not: reading another's is harmless, sharing a port is not.
  auto response = TRY(Call("GET", Api("/containers/json?all=1"), "", kCallTimeout,
                           "list the published ports"));
  if (response.status != 200) {
    return Unexpected(
        docker::EngineError(response.status, response.body, "list the published ports"));
  }
  std::set<int> taken;
  for (const ContainerInfo& container : TRY(docker::ParseContainerList(response.body))) {
    for (const auto& [container_port, host_port] : container.published) taken.insert(host_port);
  }
  // Rules left behind by containers that are gone would still catch these (firewall_ports.h).
  taken.merge(FirewallForwardedPorts());
  for (PortPublish& port : ports) {
    if (unpicked(port)) port.host_port = TRY(allocator.Pick(taken));
  }
  return Ok();
}

Result<std::vector<ContainerInfo>> DockerRuntime::ListContainers(const Labels& match) {
  Labels managed = ManagedLabels(match);
  auto response =
      TRY(Call("GET", Api("/containers/json?all=1&filters=" + docker::LabelFilter(managed)), "",
               kCallTimeout, "list containers"));
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, "list containers"));
  }
  auto containers = TRY(docker::ParseContainerList(response.body));
  std::erase_if(containers, [&](const ContainerInfo& container) {
    return !docker::HasLabels(container.labels, managed);
  });
  return containers;
}

}  // namespace yard::runtime
