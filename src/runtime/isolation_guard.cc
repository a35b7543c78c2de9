#include "runtime/isolation_guard.h"

#include <string>

#include "runtime/iptables.h"

namespace yard::runtime {
namespace {

bool JumpsTo(std::string_view rule, std::string_view chain) {
  std::string jump = "-j " + std::string(chain);
  size_t at = rule.find(jump);
  // The chain name ends the rule or is followed by a space (not a longer chain's prefix).
  return at != std::string_view::npos &&
         (at + jump.size() == rule.size() || rule[at + jump.size()] == ' ');
}

}  // namespace

GuardPlace FindIsolationGuard(std::string_view rules) {
  GuardPlace place;
  for (std::string_view rule : RuleLines(rules)) {
    if (!rule.starts_with("-A FORWARD ")) continue;
    if (JumpsTo(rule, kNetavarkForwardChain)) {
      place.netavark_forward = true;
    } else if (JumpsTo(rule, kIsolationChain) &&
               rule.find(kIsolationGuardComment) != std::string_view::npos) {
      if (place.netavark_forward) {
        place.misplaced = true;
      } else {
        place.guarded = true;
      }
    }
  }
  return place;
}

}  // namespace yard::runtime
