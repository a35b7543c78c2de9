#include "runtime/docker_json.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/rfc3339.h"
#include "http/message.h"

namespace yard::runtime::docker {
namespace {

using Json = nlohmann::json;

// Accessors that never throw: the engine's answers are input, and a field of an unexpected
// type reads as absent.
const Json& Field(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string String(const Json& object, const char* key) {
  const Json& value = Field(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

int64_t Integer(const Json& object, const char* key) {
  const Json& value = Field(object, key);
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    auto unsigned_value = value.get<uint64_t>();
    return unsigned_value > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                                             : static_cast<int64_t>(unsigned_value);
  }
  if (value.is_number_float()) return static_cast<int64_t>(value.get<double>());
  return 0;
}

bool Boolean(const Json& object, const char* key) {
  const Json& value = Field(object, key);
  return value.is_boolean() && value.get<bool>();
}

Labels LabelsOf(const Json& value) {
  Labels labels;
  if (!value.is_object()) return labels;
  for (const auto& [key, item] : value.items()) {
    if (item.is_string()) labels[key] = item.get<std::string>();
  }
  return labels;
}

std::vector<std::string> Strings(const Json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const Json& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

Result<Json> Parse(std::string_view body, std::string_view what) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("the engine's answer to {} is not valid JSON", what));
  }
  return json;
}

std::string_view Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsAny(const std::string& text, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view needle) {
    return text.find(needle) != std::string::npos;
  });
}

std::string StripSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

// "8000/tcp" -> 8000; 0 for anything else (udp, ranges, garbage).
int TcpPort(std::string_view key) {
  size_t slash = key.find('/');
  if (slash != std::string_view::npos && key.substr(slash) != "/tcp") return 0;
  std::string digits(key.substr(0, slash));
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      digits.size() > 5) {
    return 0;
  }
  return std::atoi(digits.c_str());
}

int PortNumber(const Json& value) {
  if (value.is_number_integer()) return value.get<int>();
  if (value.is_string()) return TcpPort(value.get<std::string>());
  return 0;
}

// Nanoseconds since the epoch of an RFC 3339 time; 0 for the zero time ("0001-01-01T…"),
// anything before the epoch, and non-times.
int64_t ParseEngineTimeNs(std::string_view text) {
  std::optional<int64_t> time = ParseRfc3339Nanos(text);
  return time && *time > 0 ? *time : 0;
}

// "Exited (137) 2 minutes ago" -> 137; 0 when the text holds no exit code.
int ExitCodeFromStatusText(std::string_view status) {
  size_t open = status.find('(');
  size_t close = status.find(')', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return 0;
  std::string digits(Trim(status.substr(open + 1, close - open - 1)));
  if (digits.empty() || digits.find_first_not_of("-0123456789") != std::string::npos) return 0;
  return std::atoi(digits.c_str());
}

std::vector<std::string> RealTags(const Json& value) {
  std::vector<std::string> tags;
  for (std::string& tag : Strings(value)) {
    if (tag != "<none>:<none>" && tag != "<none>") tags.push_back(std::move(tag));
  }
  return tags;
}

}  // namespace

// ---- Errors -------------------------------------------------------------------------------

std::string EngineMessage(std::string_view body) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded() && json.is_object()) {
    std::string message = String(json, "message");
    if (message.empty()) message = String(json, "error");
    return std::string(Trim(message));
  }
  std::string_view text = Trim(body);
  if (text.size() > 500) text = text.substr(0, 500);
  return std::string(text);
}

Error EngineError(int status, std::string_view body, std::string_view what) {
  std::string message = EngineMessage(body);
  std::string lower = Lower(message);
  ErrorCode code = ErrorCode::kInternal;
  bool name_taken = ContainsAny(lower, {"already in use", "already exists", "already used"});
  bool wrong_state =
      ContainsAny(lower, {"state improper", "is not running", "is already paused", "is not paused",
                          "is paused", "is restarting", "can only create exec", "is being used",
                          "is in use", "being used by", "active endpoints"});
  bool missing =
      ContainsAny(lower, {"no such container", "no such image", "no such network", "no such exec",
                          "no such object", "image not known", "network not found"});
  if (status == 404) {
    code = ErrorCode::kNotFound;
  } else if (status == 400) {
    code = ErrorCode::kInvalidArgument;
  } else if (name_taken) {
    code = ErrorCode::kAlreadyExists;
  } else if (wrong_state || status == 409 || status == 403) {
    code = ErrorCode::kFailedPrecondition;
  } else if (missing) {
    code = ErrorCode::kNotFound;
  }
  if (message.empty()) {
    std::string_view reason = http::ReasonPhrase(status);
    message = fmt::format("the engine answered {}{}{}", status, reason.empty() ? "" : " ", reason);
  }
  return Error{code, fmt::format("{}: {}", what, message)};
}

// ---- Answers ------------------------------------------------------------------------------

Result<EngineInfo> ParseVersion(std::string_view body) {
  Json json = TRY(Parse(body, "GET /version"));
  EngineInfo info;
  info.name = "docker";
  info.version = String(json, "Version");
  info.api_version = String(json, "ApiVersion");
  const Json& components = Field(json, "Components");
  if (components.is_array()) {
    for (const Json& component : components) {
      if (Lower(String(component, "Name")).find("podman") != std::string::npos) {
        info.name = "podman";
        if (info.version.empty()) info.version = String(component, "Version");
      }
    }
  }
  if (info.version.empty()) {
    return Unexpected(ErrorCode::kInternal, "the engine's /version answer has no Version");
  }
  return info;
}

Result<std::string> ParseId(std::string_view body) {
  Json json = TRY(Parse(body, "a create request"));
  std::string id = String(json, "Id");
  if (id.empty()) id = String(json, "id");
  if (id.empty()) return Unexpected(ErrorCode::kInternal, "the engine's create answer has no Id");
  return id;
}

Result<ContainerInfo> ParseContainerInspect(std::string_view body) {
  Json json = TRY(Parse(body, "a container inspect"));
  ContainerInfo info;
  info.id = String(json, "Id");
  if (info.id.empty()) {
    return Unexpected(ErrorCode::kInternal, "the engine's container inspect answer has no Id");
  }
  info.name = StripSlash(String(json, "Name"));
  const Json& config = Field(json, "Config");
  info.image = String(config, "Image");
  info.image_id = String(json, "Image");
  info.labels = LabelsOf(Field(config, "Labels"));
  const Json& state = Field(json, "State");
  info.state = ParseContainerState(String(state, "Status"));
  info.exit_code = static_cast<int>(Integer(state, "ExitCode"));
  info.oom_killed = Boolean(state, "OOMKilled");
  info.started_unix = ParseEngineTime(String(state, "StartedAt"));
  info.finished_unix = ParseEngineTime(String(state, "FinishedAt"));
  info.pid = Integer(state, "Pid");
  const Json& network = Field(json, "NetworkSettings");
  info.netns_path = String(network, "SandboxKey");
  const Json& ports = Field(network, "Ports");
  if (ports.is_object()) {
    for (const auto& [key, bindings] : ports.items()) {
      int container_port = TcpPort(key);
      if (container_port == 0 || !bindings.is_array()) continue;
      for (const Json& binding : bindings) {
        int host_port = PortNumber(Field(binding, "HostPort"));
        if (host_port > 0) {
          info.published[container_port] = host_port;
          break;
        }
      }
    }
  }
  info.ip = String(network, "IPAddress");
  const Json& networks = Field(network, "Networks");
  if (info.ip.empty() && networks.is_object()) {
    for (const auto& [name, endpoint] : networks.items()) {
      info.ip = String(endpoint, "IPAddress");
      if (!info.ip.empty()) break;
    }
  }
  return info;
}

Result<std::vector<ContainerInfo>> ParseContainerList(std::string_view body) {
  Json json = TRY(Parse(body, "a container list"));
  if (!json.is_array()) {
    return Unexpected(ErrorCode::kInternal, "the engine's container list is not an array");
  }
  std::vector<ContainerInfo> containers;
  for (const Json& item : json) {
    ContainerInfo info;
    info.id = String(item, "Id");
    if (info.id.empty()) continue;
    std::vector<std::string> names = Strings(Field(item, "Names"));
    if (!names.empty()) info.name = StripSlash(names.front());
    info.image = String(item, "Image");
    info.labels = LabelsOf(Field(item, "Labels"));
    info.state = ParseContainerState(String(item, "State"));
    if (info.state == ContainerState::kExited || info.state == ContainerState::kDead) {
      info.exit_code = ExitCodeFromStatusText(String(item, "Status"));
    }
    const Json& ports = Field(item, "Ports");
    if (ports.is_array()) {
      for (const Json& port : ports) {
        std::string type = String(port, "Type");
        int private_port = static_cast<int>(Integer(port, "PrivatePort"));
        int public_port = static_cast<int>(Integer(port, "PublicPort"));
        if ((type.empty() || type == "tcp") && private_port > 0 && public_port > 0) {
          info.published.emplace(private_port, public_port);
        }
      }
    }
    containers.push_back(std::move(info));
  }
  return containers;
}

Result<ImageInfo> ParseImageInspect(std::string_view body) {
  Json json = TRY(Parse(body, "an image inspect"));
  ImageInfo info;
  info.id = String(json, "Id");
  if (info.id.empty()) {
    return Unexpected(ErrorCode::kInternal, "the engine's image inspect answer has no Id");
  }
  info.tags = RealTags(Field(json, "RepoTags"));
  info.labels = LabelsOf(Field(Field(json, "Config"), "Labels"));
  const Json& created = Field(json, "Created");
  info.created_unix =
      created.is_string() ? ParseEngineTime(created.get<std::string>()) : Integer(json, "Created");
  info.size_bytes = Integer(json, "Size");
  return info;
}

Result<std::vector<ImageInfo>> ParseImageList(std::string_view body) {
  Json json = TRY(Parse(body, "an image list"));
  if (!json.is_array()) {
    return Unexpected(ErrorCode::kInternal, "the engine's image list is not an array");
  }
  std::vector<ImageInfo> images;
  for (const Json& item : json) {
    ImageInfo info;
    info.id = String(item, "Id");
    if (info.id.empty()) continue;
    info.tags = RealTags(Field(item, "RepoTags"));
    info.labels = LabelsOf(Field(item, "Labels"));
    info.created_unix = Integer(item, "Created");
    info.size_bytes = Integer(item, "Size");
    images.push_back(std::move(info));
  }
  return images;
}

Result<std::vector<NetworkInfo>> ParseNetworkList(std::string_view body) {
  Json json = TRY(Parse(body, "a network list"));
  if (!json.is_array()) {
    return Unexpected(ErrorCode::kInternal, "the engine's network list is not an array");
  }
  std::vector<NetworkInfo> networks;
  for (const Json& item : json) {
    NetworkInfo info;
    info.id = String(item, "Id");
    if (info.id.empty()) info.id = String(item, "id");
    info.name = String(item, "Name");
    if (info.name.empty()) info.name = String(item, "name");
    info.labels = LabelsOf(Field(item, "Labels"));
    if (info.labels.empty()) info.labels = LabelsOf(Field(item, "labels"));
    if (info.id.empty() && info.name.empty()) continue;
    // Docker: IPAM.Config[].Gateway; Podman's own API: subnets[].gateway.
    const Json& configs = Field(Field(item, "IPAM"), "Config");
    const Json& subnets = Field(item, "subnets");
    if (configs.is_array() && !configs.empty()) info.gateway = String(configs.front(), "Gateway");
    if (subnets.is_array() && !subnets.empty()) info.gateway = String(subnets.front(), "gateway");
    networks.push_back(std::move(info));
  }
  return networks;
}

Result<ExecState> ParseExecState(std::string_view body) {
  Json json = TRY(Parse(body, "an exec inspect"));
  const Json& code = Field(json, "ExitCode");
  ExecState state;
  state.running = Boolean(json, "Running");
  state.exit_code = code.is_number() ? static_cast<int>(Integer(json, "ExitCode")) : -1;
  state.pid = Integer(json, "Pid");
  return state;
}

Result<StatsSample> ParseStats(std::string_view body) {
  Json json = TRY(Parse(body, "a stats request"));
  StatsSample sample;
  sample.read_ns = ParseEngineTimeNs(String(json, "read"));
  sample.pre_read_ns = ParseEngineTimeNs(String(json, "preread"));
  sample.cpu_total_ns = Integer(Field(Field(json, "cpu_stats"), "cpu_usage"), "total_usage");
  sample.pre_cpu_total_ns = Integer(Field(Field(json, "precpu_stats"), "cpu_usage"), "total_usage");
  const Json& memory = Field(json, "memory_stats");
  const Json& details = Field(memory, "stats");
  // Docker's CLI subtracts the page cache the kernel can reclaim: inactive_file on cgroup v2,
  // total_inactive_file on v1. Podman reports neither.
  int64_t cache = Integer(details, "inactive_file");
  if (cache == 0) cache = Integer(details, "total_inactive_file");
  int64_t usage = Integer(memory, "usage");
  sample.memory_bytes = usage > cache ? usage - cache : usage;
  sample.memory_limit_bytes = Integer(memory, "limit");
  return sample;
}

double CpuPercent(int64_t cpu_before_ns, int64_t read_before_ns, int64_t cpu_after_ns,
                  int64_t read_after_ns) {
  int64_t wall = read_after_ns - read_before_ns;
  int64_t cpu = cpu_after_ns - cpu_before_ns;
  if (read_before_ns <= 0 || wall <= 0 || cpu < 0) return 0;
  return static_cast<double>(cpu) / static_cast<double>(wall) * 100.0;
}

ContainerState ParseContainerState(std::string_view status) {
  std::string lower = Lower(status);
  if (lower == "created" || lower == "configured" || lower == "initialized") {
    return ContainerState::kCreated;
  }
  if (lower == "running" || lower == "stopping") return ContainerState::kRunning;
  if (lower == "paused") return ContainerState::kPaused;
  if (lower == "restarting") return ContainerState::kRestarting;
  if (lower == "exited" || lower == "stopped") return ContainerState::kExited;
  if (lower == "dead") return ContainerState::kDead;
  return ContainerState::kUnknown;
}

int64_t ParseEngineTime(std::string_view text) { return ParseEngineTimeNs(text) / 1000000000; }

}  // namespace yard::runtime::docker
