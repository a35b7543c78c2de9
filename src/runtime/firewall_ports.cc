#include "runtime/firewall_ports.h"

#include <charconv>

#include "base/log.h"
#include "runtime/iptables.h"

namespace yard::runtime {

std::set<int> ParseForwardedPorts(std::string_view rules) {
  std::set<int> ports;
  for (std::string_view line : RuleLines(rules)) {
    bool forwarding = line.starts_with("-A NETAVARK-HOSTPORT-DNAT ") ||
                      (line.starts_with("-A DOCKER ") && line.find(" -j DNAT") != line.npos);
    if (!forwarding) continue;
    constexpr std::string_view kDport = " --dport ";
    size_t at = line.find(kDport);
    if (at == std::string_view::npos) continue;
    std::string_view number = line.substr(at + kDport.size());
    int port = 0;
    auto [next, error] = std::from_chars(number.data(), number.data() + number.size(), port);
    if (error == std::errc() && port > 0 && port <= 65535) ports.insert(port);
  }
  return ports;
}

std::set<int> FirewallForwardedPorts() {
  auto listed = RunIptables("iptables", {"-t", "nat", "-S"});
  if (!listed || !listed->Succeeded()) {
    log::Debug("reading the nat table to skip forwarded ports: {}",
               listed ? listed->Describe() : listed.error().message);
    return {};
  }
  return ParseForwardedPorts(listed->stdout_data);
}

}  // namespace yard::runtime
