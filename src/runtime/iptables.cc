#include "runtime/iptables.h"

#include <chrono>

namespace yard::runtime {

Result<ProcessResult> RunIptables(const std::string& program, std::vector<std::string> args) {
  args.insert(args.begin(), {program, "-w", "5"});
  return RunProcess({.argv = std::move(args), .timeout = std::chrono::seconds(30)});
}

std::vector<std::string_view> RuleLines(std::string_view listing) {
  std::vector<std::string_view> lines;
  while (!listing.empty()) {
    size_t end = listing.find('\n');
    lines.push_back(listing.substr(0, end));
    listing = end == std::string_view::npos ? std::string_view() : listing.substr(end + 1);
  }
  return lines;
}

}  // namespace yard::runtime
