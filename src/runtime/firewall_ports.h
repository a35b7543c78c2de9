#pragma once

// Host ports the firewall already forwards to a container.
//
// Podman (netavark) publishes a port with iptables DNAT rules and holds no socket on it. When a
// container goes without its engine's teardown (an engine killed under it, a container removed
// by another engine instance), its rules can stay behind: the port looks free, yet traffic to
// it is sent to an address that is gone, and the first matching rule wins. A container
// published there later could not be reached. HostPortAllocator's callers add these ports to
// the taken ones.

#include <set>
#include <string_view>

namespace yard::runtime {

/// The destination ports of the DNAT rules in `rules` (the output of `iptables -t nat -S`):
/// netavark's NETAVARK-HOSTPORT-DNAT chain and Docker's DOCKER chain.
std::set<int> ParseForwardedPorts(std::string_view rules);

/// ParseForwardedPorts of this host's nat table, read with `iptables -w -t nat -S`; empty when
/// it cannot be read (no iptables, not root): then nothing is skipped.
std::set<int> FirewallForwardedPorts();

}  // namespace yard::runtime
