#include "controller/fake_runtime.h"

#include <fmt/core.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace yard::controller::testing {

using runtime::ContainerState;

Result<runtime::EngineInfo> FakeRuntime::Ping() { return runtime::EngineInfo{"fake", "1", "1.41"}; }

Result<std::optional<runtime::ImageInfo>> FakeRuntime::InspectImage(const std::string& ref) {
  std::lock_guard lock(mutex_);
  auto it = images_.find(ref);
  if (it == images_.end()) return std::optional<runtime::ImageInfo>();
  return std::optional<runtime::ImageInfo>(it->second);
}

Status FakeRuntime::PullImage(const std::string& ref, const runtime::LineSink&) {
  return Unexpected(ErrorCode::kUnavailable, "no registry for " + ref);
}

Result<runtime::BuildOutcome> FakeRuntime::BuildImage(const runtime::BuildSpec& spec,
                                                      const runtime::LineSink& progress) {
  if (spec.cancel != nullptr && spec.cancel->load()) {
    return Unexpected(ErrorCode::kCancelled, fmt::format("build image {}: cancelled", spec.tag));
  }
  std::lock_guard lock(mutex_);
  ++builds_;
  progress("STEP 1/1: FROM debian");
  for (const auto& [fragment, error] : failing_builds_) {
    if (spec.tag.find(fragment) != std::string::npos) {
      return runtime::BuildOutcome{.ok = false, .error = error, .log = error};
    }
  }
  images_[spec.tag] = {.id = fmt::format("img{}", next_id_++), .tags = {spec.tag}, .labels = spec.labels};
  return runtime::BuildOutcome{.ok = true, .image_id = images_[spec.tag].id, .log = "ok"};
}

Result<std::vector<runtime::ImageInfo>> FakeRuntime::ListImages(const runtime::Labels&) {
  std::lock_guard lock(mutex_);
  std::vector<runtime::ImageInfo> out;
  for (const auto& [ref, info] : images_) out.push_back(info);
  return out;
}

Status FakeRuntime::RemoveImage(const std::string& ref) {
  std::lock_guard lock(mutex_);
  return images_.erase(ref) ? Ok() : Status(Unexpected(ErrorCode::kNotFound, ref));
}

Result<runtime::NetworkInfo> FakeRuntime::CreateNetwork(const runtime::NetworkSpec& spec) {
  std::lock_guard lock(mutex_);
  for (const auto& network : networks_) {
    if (network.name == spec.name) return Unexpected(ErrorCode::kAlreadyExists, spec.name);
  }
  int number = next_id_++;
  runtime::NetworkInfo info{.id = fmt::format("net{}", number), .name = spec.name,
                            .labels = spec.labels,
                            .gateway = fmt::format("10.89.{}.1", number % 250)};
  info.labels[std::string(runtime::kLabelManaged)] = "true";
  networks_.push_back(info);
  return info;
}

Result<std::vector<runtime::NetworkInfo>> FakeRuntime::ListNetworks(const runtime::Labels& match) {
  std::lock_guard lock(mutex_);
  std::vector<runtime::NetworkInfo> out;
  for (const auto& network : networks_) {
    if (Matches(network.labels, match)) out.push_back(network);
  }
  return out;
}

Status FakeRuntime::RemoveNetwork(const std::string& name_or_id) {
  std::lock_guard lock(mutex_);
  auto removed = std::erase_if(networks_, [&](const runtime::NetworkInfo& network) {
    return network.id == name_or_id || network.name == name_or_id;
  });
  return removed ? Ok() : Status(Unexpected(ErrorCode::kNotFound, name_or_id));
}

Result<std::string> FakeRuntime::CreateContainer(const runtime::ContainerSpec& spec) {
  std::lock_guard lock(mutex_);
  for (const Container& container : containers_) {
    if (container.spec.name == spec.name) return Unexpected(ErrorCode::kAlreadyExists, spec.name);
  }
  if (!images_.contains(spec.image)) {
    return Unexpected(ErrorCode::kNotFound, "no such image: " + spec.image);
  }
  ++creates_;
  Container container{.spec = spec};
  container.info.id = fmt::format("c{}", next_id_++);
  container.info.name = spec.name;
  container.info.image = spec.image;
  container.info.labels = spec.labels;
  container.info.labels[std::string(runtime::kLabelManaged)] = "true";
  container.info.state = ContainerState::kCreated;
  // Every container its own address and host ports, as with a real engine: a rollout's old
  // and new containers must be told apart.
  int host_port = 40000 + next_id_ * 10;
  for (const runtime::PortPublish& port : spec.ports) {
    container.info.published[port.container_port] = host_port++;
  }
  container.info.ip = fmt::format("10.89.{}.{}", next_id_ / 250, 2 + next_id_ % 250);
  containers_.push_back(container);
  return container.info.id;
}

FakeRuntime::Container* FakeRuntime::Find(const std::string& id) {
  for (Container& container : containers_) {
    if (container.info.id == id || container.info.name == id) return &container;
  }
  return nullptr;
}

Status FakeRuntime::StartContainer(const std::string& id) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  container->info.state = ContainerState::kRunning;
  container->info.started_unix = 1000;
  std::string command;
  if (container->spec.entrypoint) {
    for (const auto& part : *container->spec.entrypoint) command += part + " ";
  }
  for (const auto& part : container->spec.cmd) command += part + " ";
  // One-off commands (install steps) finish at once; services run until told otherwise.
  auto role = container->info.labels.find(std::string(runtime::kLabelRole));
  if (role != container->info.labels.end() && role->second == "install") {
    container->info.state = ContainerState::kExited;
    container->info.exit_code = 0;
  }
  for (const auto& [fragment, code] : exit_on_start_) {
    if (command.find(fragment) != std::string::npos) {
      container->info.state = ContainerState::kExited;
      container->info.exit_code = code;
    }
  }
  return Ok();
}

Status FakeRuntime::StopContainer(const std::string& id, std::chrono::seconds) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  container->info.state = ContainerState::kExited;
  return Ok();
}

Status FakeRuntime::RemoveContainer(const std::string& id) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  if (!container->info.labels.contains(std::string(runtime::kLabelManaged))) {
    removed_foreign_ = true;
  }
  std::string real = container->info.id;
  std::erase_if(containers_, [&](const Container& c) { return c.info.id == real; });
  return Ok();
}

Status FakeRuntime::PauseContainer(const std::string& id) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  container->info.state = ContainerState::kPaused;
  return Ok();
}

Status FakeRuntime::UnpauseContainer(const std::string& id) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  container->info.state = ContainerState::kRunning;
  return Ok();
}

Result<std::optional<runtime::ContainerInfo>> FakeRuntime::InspectContainer(const std::string& id) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return std::optional<runtime::ContainerInfo>();
  return std::optional<runtime::ContainerInfo>(container->info);
}

bool FakeRuntime::Matches(const runtime::Labels& labels, const runtime::Labels& match) const {
  if (!labels.contains(std::string(runtime::kLabelManaged))) return false;
  for (const auto& [key, value] : match) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

Result<std::vector<runtime::ContainerInfo>> FakeRuntime::ListContainers(
    const runtime::Labels& match) {
  std::lock_guard lock(mutex_);
  std::vector<runtime::ContainerInfo> out;
  for (const Container& container : containers_) {
    if (Matches(container.info.labels, match)) out.push_back(container.info);
  }
  return out;
}

Result<std::string> FakeRuntime::Logs(const std::string& id, const runtime::LogOptions&) {
  return fmt::format("log line of {}\n", id);
}

Status FakeRuntime::FollowLogs(const std::string& id, int64_t, const runtime::LogChunkSink& sink,
                               const std::atomic<bool>* cancel) {
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  std::string real;
  {
    std::lock_guard lock(mutex_);
    ++follows_;
    Container* container = Find(id);
    if (!container) return Unexpected(ErrorCode::kNotFound, id);
    real = container->info.id;
  }
  size_t sent = 0;
  while (true) {
    if (cancelled()) return Unexpected(ErrorCode::kCancelled, "follow " + id + ": cancelled");
    std::string piece;
    {
      std::unique_lock lock(mutex_);
      Container* container = Find(real);
      if (!container) return Ok();  // removed: its output ended with it
      const std::string& log = logs_[real];
      if (sent < log.size()) {
        piece = log.substr(sent, log_chunk_bytes_);
      } else if (container->info.state != ContainerState::kRunning &&
                 container->info.state != ContainerState::kPaused) {
        return Ok();
      } else {
        // Crash and StopContainer do not notify: the wait is short.
        logs_written_.wait_for(lock, std::chrono::milliseconds(5));
        continue;
      }
    }
    sink(piece);
    sent += piece.size();
  }
}

void FakeRuntime::WriteLogs(const std::string& id, std::string_view stream) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return;
  logs_[container->info.id].append(stream);
  logs_written_.notify_all();
}

void FakeRuntime::SetLogChunkBytes(size_t bytes) {
  std::lock_guard lock(mutex_);
  log_chunk_bytes_ = std::max<size_t>(bytes, 1);
}

Result<runtime::ExecResult> FakeRuntime::Exec(const std::string& id, const runtime::ExecSpec&) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  for (const auto& [fragment, code] : exec_exit_) {
    if (container->info.name.find(fragment) != std::string::npos) {
      return runtime::ExecResult{.exit_code = code};
    }
  }
  return runtime::ExecResult{.exit_code = 0};
}

Result<runtime::ExecStream> FakeRuntime::StartExecStream(const std::string& id,
                                                         const runtime::ExecStreamSpec& spec) {
  std::lock_guard lock(mutex_);
  Container* container = Find(id);
  if (!container) return Unexpected(ErrorCode::kNotFound, id);
  if (container->info.state != ContainerState::kRunning) {
    return Unexpected(ErrorCode::kFailedPrecondition, id + " is not running");
  }
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Unexpected(ErrorCode::kIo, "socketpair failed");
  }
  close(fds[1]);
  int code = 0;
  for (const auto& [fragment, exit_code] : exec_exit_) {
    if (container->info.name.find(fragment) != std::string::npos) code = exit_code;
  }
  std::string exec_id = fmt::format("exec-{}", next_exec_++);
  exec_streams_[exec_id] = code;
  return runtime::ExecStream{
      .exec_id = exec_id, .socket = UniqueFd(fds[0]), .multiplexed = !spec.tty};
}

Status FakeRuntime::ResizeExec(const std::string& exec_id, int, int) {
  std::lock_guard lock(mutex_);
  if (!exec_streams_.contains(exec_id)) return Unexpected(ErrorCode::kNotFound, exec_id);
  return Ok();
}

Result<runtime::ExecInfo> FakeRuntime::InspectExec(const std::string& exec_id) {
  std::lock_guard lock(mutex_);
  auto it = exec_streams_.find(exec_id);
  if (it == exec_streams_.end()) return Unexpected(ErrorCode::kNotFound, exec_id);
  return runtime::ExecInfo{.running = false, .exit_code = it->second};
}

Result<runtime::Stats> FakeRuntime::ContainerStats(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = stats_.find(id);
  return it != stats_.end() ? it->second : runtime::Stats{};
}

void FakeRuntime::SetStats(const std::string& id, runtime::Stats stats) {
  std::lock_guard lock(mutex_);
  stats_[id] = stats;
}

void FakeRuntime::AddImage(const std::string& ref) {
  std::lock_guard lock(mutex_);
  images_[ref] = {.id = "img-" + ref, .tags = {ref}};
}

void FakeRuntime::FailBuilds(const std::string& fragment, const std::string& error) {
  std::lock_guard lock(mutex_);
  if (error.empty()) {
    failing_builds_.erase(fragment);
  } else {
    failing_builds_[fragment] = error;
  }
}

void FakeRuntime::SetExecExit(const std::string& fragment, int code) {
  std::lock_guard lock(mutex_);
  exec_exit_[fragment] = code;
}

void FakeRuntime::ExitOnStart(const std::string& fragment, int code) {
  std::lock_guard lock(mutex_);
  exit_on_start_[fragment] = code;
}

void FakeRuntime::Crash(const std::string& fragment, int code) {
  std::lock_guard lock(mutex_);
  for (Container& container : containers_) {
    if (container.info.name.find(fragment) != std::string::npos &&
        container.info.state == ContainerState::kRunning) {
      container.info.state = ContainerState::kExited;
      container.info.exit_code = code;
    }
  }
}

void FakeRuntime::AddForeignContainer(const std::string& name) {
  std::lock_guard lock(mutex_);
  Container container;
  container.spec.name = name;
  container.info.id = fmt::format("c{}", next_id_++);
  container.info.name = name;
  container.info.state = ContainerState::kRunning;
  containers_.push_back(container);
}

std::vector<FakeRuntime::Container> FakeRuntime::containers() {
  std::lock_guard lock(mutex_);
  return containers_;
}

std::vector<runtime::NetworkInfo> FakeRuntime::networks() {
  std::lock_guard lock(mutex_);
  return networks_;
}

}  // namespace yard::controller::testing
