#include "runtime/docker_json.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

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

std::vector<std::string> EnvList(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

// Nanoseconds since the epoch of an RFC 3339 time; 0 for the zero time and for non-times.
int64_t ParseEngineTimeNs(std::string_view text) {
  auto digits = [&](size_t at, size_t count, int64_t& out) {
    if (at + count > text.size()) return false;
    out = 0;
    for (size_t i = at; i < at + count; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int64_t year, month, day, hour, minute, second;
  if (!digits(0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(5, 2, month) ||
      text[7] != '-' || !digits(8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(11, 2, hour) ||
      text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
    return 0;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return 0;
  }
  size_t at = 19;
  int64_t nanos = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int64_t scale = 100000000;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      nanos += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
  }
  int64_t offset_seconds = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int64_t offset_hours, offset_minutes;
    if (!digits(at + 1, 2, offset_hours) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !digits(at + 4, 2, offset_minutes)) {
      return 0;
    }
    offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return 0;
  }
  if (at != text.size()) return 0;
  int64_t seconds =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset_seconds;
  if (seconds <= 0) return 0;  // the zero time, 0001-01-01, and anything before the epoch
  return seconds * 1000000000 + nanos;
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

// What every exec shares: the command, its variables, directory and user, output attached.
Json ExecBody(const std::vector<std::string>& cmd,
              const std::vector<std::pair<std::string, std::string>>& env,
              const std::string& workdir, const std::string& user) {
  Json body = {{"Cmd", cmd}, {"AttachStdout", true}, {"AttachStderr", true}};
  if (!env.empty()) body["Env"] = EnvList(env);
  if (!workdir.empty()) body["WorkingDir"] = workdir;
  if (!user.empty()) body["User"] = user;
  return body;
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

// ---- Requests -----------------------------------------------------------------------------

std::string EscapeRef(std::string_view ref) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : ref) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || std::string_view("-._~/:@").find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

std::string LabelFilter(const Labels& labels) {
  Json list = Json::array();
  for (const auto& [key, value] : labels) list.push_back(key + "=" + value);
  Json filters = {{"label", std::move(list)}};
  return http::PercentEncode(filters.dump());
}

bool HasLabels(const Labels& have, const Labels& want) {
  return std::all_of(want.begin(), want.end(), [&](const auto& pair) {
    auto it = have.find(pair.first);
    return it != have.end() && it->second == pair.second;
  });
}

std::string ContainerCreateBody(const ContainerSpec& spec) {
  Json body = Json::object();
  body["Image"] = spec.image;
  if (spec.entrypoint) {
    // Podman keeps the image's entrypoint for an empty list; [""] clears it (as for Docker).
    body["Entrypoint"] = spec.entrypoint->empty() ? Json::array({""}) : Json(*spec.entrypoint);
  }
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (!spec.env.empty()) body["Env"] = EnvList(spec.env);
  if (!spec.workdir.empty()) body["WorkingDir"] = spec.workdir;
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.hostname.empty()) body["Hostname"] = spec.hostname;
  body["Labels"] = spec.labels;

  Json host = Json::object();
  Json exposed = Json::object();
  Json bindings = Json::object();
  for (const PortPublish& port : spec.ports) {
    std::string key = std::to_string(port.container_port) + "/tcp";
    exposed[key] = Json::object();
    bindings[key].push_back(
        {{"HostIp", port.host_ip},
         {"HostPort", port.host_port > 0 ? std::to_string(port.host_port) : std::string()}});
  }
  if (!spec.ports.empty()) {
    body["ExposedPorts"] = std::move(exposed);
    host["PortBindings"] = std::move(bindings);
  }
  if (!spec.mounts.empty()) {
    Json mounts = Json::array();
    for (const Mount& mount : spec.mounts) {
      mounts.push_back({{"Type", "bind"},
                        {"Source", mount.source},
                        {"Target", mount.target},
                        {"ReadOnly", mount.read_only}});
    }
    host["Mounts"] = std::move(mounts);
  }
  if (spec.cpus > 0) host["NanoCpus"] = std::llround(spec.cpus * 1e9);
  if (spec.memory_bytes > 0) host["Memory"] = spec.memory_bytes;
  if (!spec.extra_hosts.empty()) host["ExtraHosts"] = spec.extra_hosts;
  host["Init"] = spec.init;
  host["NetworkMode"] = spec.network.empty() ? std::string("none") : spec.network;
  body["HostConfig"] = std::move(host);
  if (!spec.network.empty()) {
    Json endpoint = Json::object();
    if (!spec.aliases.empty()) endpoint["Aliases"] = spec.aliases;
    body["NetworkingConfig"] = {{"EndpointsConfig", {{spec.network, std::move(endpoint)}}}};
  }
  return body.dump();
}

std::string NetworkCreateBody(const NetworkSpec& spec) {
  Json body = {
      {"Name", spec.name}, {"Driver", "bridge"}, {"CheckDuplicate", true}, {"Labels", spec.labels}};
  // Podman 4.3 warns that it does not recognise "isolate", yet stores it and netavark applies
  // it (iptables NETAVARK_ISOLATION chains).
  if (spec.isolate) body["Options"] = {{"isolate", "true"}};
  return body.dump();
}

std::string ExecCreateBody(const ExecSpec& spec) {
  Json body = ExecBody(spec.cmd, spec.env, spec.workdir, spec.user);
  body["AttachStdin"] = false;
  body["Tty"] = false;
  return body.dump();
}

std::string ExecStreamCreateBody(const ExecStreamSpec& spec) {
  Json body = ExecBody(spec.cmd, spec.env, spec.workdir, spec.user);
  body["AttachStdin"] = true;
  body["Tty"] = spec.tty;
  body["DetachKeys"] = spec.tty ? kTtyDetachKeys : kStreamDetachKeys;
  if (spec.tty) body["ConsoleSize"] = {spec.rows, spec.cols};
  return body.dump();
}

std::string ExecStreamStartBody(const ExecStreamSpec& spec) {
  Json body = {{"Detach", false}, {"Tty", spec.tty}};
  if (spec.tty) {
    body["h"] = spec.rows;
    body["w"] = spec.cols;
    body["ConsoleSize"] = {spec.rows, spec.cols};
  }
  return body.dump();
}

std::string BuildQuery(const BuildSpec& spec, BuildLabels labels, std::string_view cgroup_parent) {
  auto encode = [](std::string_view text) { return http::PercentEncode(text); };
  Json args = Json::object();
  for (const auto& [name, value] : spec.args) args[name] = value;
  std::string query = "t=" + encode(spec.tag);
  query += "&dockerfile=" + encode(spec.dockerfile.empty() ? "Dockerfile" : spec.dockerfile);
  Json label_json = Json(spec.labels);  // std::map: sorted by key
  if (labels == BuildLabels::kSortedList) {
    label_json = Json::array();
    for (const auto& [key, value] : spec.labels) label_json.push_back(key + "=" + value);
  }
  query += "&labels=" + encode(label_json.dump());
  query += "&buildargs=" + encode(args.dump());
  query += "&rm=1&forcerm=1";
  if (spec.memory_bytes > 0) {
    query += fmt::format("&memory={0}&memswap={0}", spec.memory_bytes);
  }
  if (spec.cpus > 0) {
    constexpr int64_t kPeriod = 100000;  // microseconds, the kernel's default CFS period
    query += fmt::format("&cpuperiod={}&cpuquota={}", kPeriod,
                         std::max<int64_t>(1000, std::llround(spec.cpus * kPeriod)));
  }
  if (!cgroup_parent.empty()) query += "&cgroupparent=" + encode(cgroup_parent);
  return query;
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
