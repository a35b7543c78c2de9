#include "runtime/docker_json.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "http/message.h"

// The request half of docker_json.h: bodies and queries for the engine's API.

namespace yard::runtime::docker {
namespace {

using Json = nlohmann::json;

std::vector<std::string> EnvList(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
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

}  // namespace yard::runtime::docker
