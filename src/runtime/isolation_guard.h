#pragma once

// Where the isolation guard stands in iptables' FORWARD chain (see EngineProcess).
//
// netavark 1.4 isolates networks through a jump from FORWARD to NETAVARK_ISOLATION_1 and
// drops that jump whenever any isolated network is torn down; the guard is a jump of our own
// to the same chain. It only works *before* netavark's jump to NETAVARK_FORWARD, which
// accepts every packet from or to a container subnet: a guard behind it is never reached.
// netavark inserts its NETAVARK_FORWARD jump at the top of FORWARD when it is missing (the
// first network set up after boot), so a guard added before that ends up behind it.

#include <string_view>

namespace yard::runtime {

inline constexpr std::string_view kIsolationChain = "NETAVARK_ISOLATION_1";
inline constexpr std::string_view kIsolationGuardComment =
    "stackyard: keep netavark network isolation";
/// netavark's own jump, as it adds it (and checks for it before adding it).
inline constexpr std::string_view kNetavarkForwardChain = "NETAVARK_FORWARD";
inline constexpr std::string_view kNetavarkForwardComment = "netavark firewall plugin rules";

struct GuardPlace {
  bool guarded = false;           // the guard is in FORWARD, before any NETAVARK_FORWARD jump
  bool misplaced = false;         // a guard is in FORWARD, but behind a NETAVARK_FORWARD jump
  bool netavark_forward = false;  // FORWARD has a jump to NETAVARK_FORWARD
};

/// Reads `rules`, the output of `iptables -S FORWARD`.
GuardPlace FindIsolationGuard(std::string_view rules);

}  // namespace yard::runtime
