#include "runtime/firewall_ports.h"

#include <gtest/gtest.h>

namespace yard::runtime {
namespace {

TEST(FirewallPortsTest, TakesTheHostPortsOfNetavarkAndDockerDnatRules) {
  constexpr std::string_view kRules =
      "-P PREROUTING ACCEPT\n"
      "-N NETAVARK-HOSTPORT-DNAT\n"
      "-A PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT\n"
      "-A NETAVARK-DN-C77C36E95196D -d 127.0.0.1/32 -p tcp -m tcp --dport 30999 -j DNAT "
      "--to-destination 10.89.16.5:8000\n"
      "-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 30632 -m comment --comment \"dnat name: "
      "sy-47db82725ecb-hello-b id: c4d5\" -j NETAVARK-DN-C77C36E95196D\n"
      "-A NETAVARK-HOSTPORT-DNAT -p udp -m udp --dport 5353 -j NETAVARK-DN-1\n"
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination "
      "172.17.0.2:80\n"
      "-A DOCKER -i docker0 -j RETURN\n"
      "-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 99999 -j X\n"
      "-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport nope -j X";
  EXPECT_EQ(ParseForwardedPorts(kRules), (std::set<int>{5353, 8080, 30632}));
  EXPECT_TRUE(ParseForwardedPorts("").empty());
}

}  // namespace
}  // namespace yard::runtime
