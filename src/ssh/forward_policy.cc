#include "ssh/forward_policy.h"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <algorithm>

namespace yard::ssh {
namespace {

constexpr size_t kMaxHostBytes = 255;  // a DNS name's limit

std::string Shown(std::string_view host) {
  std::string shown;
  for (char c : host.substr(0, 60)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  return shown;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string Allowed(const Located& located) {
  std::string list = "localhost";
  for (const std::string& service : located.services) list += ", " + service;
  return list;
}

}  // namespace

ForwardTarget DecideForward(std::string_view host, int port, const Located& located) {
  if (port < 1 || port > 65535) {
    return ForwardRefusal{fmt::format("port {} is not a TCP port (1-65535)", port)};
  }
  if (host.size() > kMaxHostBytes) {
    return ForwardRefusal{fmt::format("the host name '{}…' is too long", Shown(host))};
  }
  std::string name = Lower(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  if (name == "localhost" || name == "127.0.0.1") return LocalPortForward{"127.0.0.1", port};
  if (name == "::1") return LocalPortForward{"::1", port};
  if (IsIpLiteral(name)) {
    return ForwardRefusal{fmt::format(
        "'{}' is an IP address: forwards go to the container's localhost or to a service of "
        "the deployment by name ({})",
        Shown(host), Allowed(located))};
  }
  if (std::find(located.services.begin(), located.services.end(), name) == located.services.end()) {
    return ForwardRefusal{fmt::format(
        "'{}' is not a service of this deployment: forwards go to the container's localhost "
        "or to a service by name ({})",
        Shown(host), Allowed(located))};
  }
  auto ip = located.service_ips.find(name);
  if (ip == located.service_ips.end() || ip->second.empty()) {
    return ForwardRefusal{fmt::format("the service '{}' has no running container", name)};
  }
  return ServiceForward{name, ip->second, port};
}

}  // namespace yard::ssh
