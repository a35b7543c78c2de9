#pragma once

// Reading iptables, shared by the host-port picker (firewall_ports.h) and the isolation guard
// (isolation_guard.h, EngineProcess): running the program with the xtables lock waited for,
// and the rules of a listing (`iptables -S`) one by one.

#include <string>
#include <string_view>
#include <vector>

#include "base/process.h"
#include "base/result.h"

namespace yard::runtime {

/// Runs `program -w 5 ARGS…` (waiting up to 5 s for the lock netavark also takes).
Result<ProcessResult> RunIptables(const std::string& program, std::vector<std::string> args);

/// The lines of `listing`, the output of `iptables -S`, without their newlines.
std::vector<std::string_view> RuleLines(std::string_view listing);

}  // namespace yard::runtime
