// The colour rules of the status tree (status_tree.h ApplyColourRules): what the engine and
// the disk tell beyond the controller's own status. The controller already turns crashes,
// failing health checks, failed builds and rollouts into colours and reasons; these rules
// catch what it cannot see or has not seen yet.

#include <algorithm>

#include <fmt/core.h>

#include "deployments/status_tree.h"

namespace yard::deployments {
namespace {

using controller::Colour;

std::string Bytes(int64_t bytes) {
  constexpr double kMiB = 1 << 20;
  constexpr double kGiB = 1 << 30;
  if (bytes >= (int64_t{1} << 30)) return fmt::format("{:.1f} GiB", bytes / kGiB);
  return fmt::format("{:.0f} MiB", bytes / kMiB);
}

std::string Duration(int64_t seconds) {
  if (seconds < 120) return fmt::format("{} s", seconds);
  if (seconds < 7200) return fmt::format("{} min", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{} h", seconds / 3600);
  return fmt::format("{} days", seconds / 86400);
}

void Raise(StatusTree& tree, Colour colour, std::string reason) {
  if (static_cast<int>(colour) > static_cast<int>(tree.colour)) tree.colour = colour;
  for (const std::string& known : tree.reasons) {
    if (known == reason) return;
  }
  tree.reasons.push_back(std::move(reason));
}

}  // namespace

void ApplyColourRules(StatusTree& tree, bool should_run, int64_t now,
                      const ColourThresholds& thresholds) {
  for (const ContainerNode& node : tree.containers) {
    if (node.previous) continue;  // the old version of a rollout comes and goes on purpose
    const std::string& id = node.service;
    if (should_run && node.state == "running" &&
        (node.engine_state == "exited" || node.engine_state == "dead")) {
      // The controller saw it running; the engine says it ended since. It is restarted at
      // the controller's next look, but until then nothing serves.
      Raise(tree, Colour::kRed,
            node.last_exit_code
                ? fmt::format("{} is not running (exited with code {})", id, *node.last_exit_code)
                : fmt::format("{} is not running", id));
    }
    if (node.engine_state == "restarting") {
      Raise(tree, Colour::kYellow, fmt::format("{} is restarting", id));
    }
    if (node.engine_state == "paused") {
      Raise(tree, Colour::kYellow, fmt::format("{} is paused", id));
    }
    if (node.oom_killed) {
      Raise(tree, Colour::kYellow,
            tree.size.memory_bytes > 0
                ? fmt::format("{} was killed for lack of memory (limit {}); a larger size helps",
                              id, Bytes(tree.size.memory_bytes))
                : fmt::format("{} was killed for lack of memory", id));
    }
    if (node.engine_state == "running" && node.restarts >= thresholds.restart_loop_restarts &&
        node.uptime_seconds < thresholds.restart_loop_uptime_seconds) {
      Raise(tree, Colour::kYellow,
            fmt::format("{} has restarted {} times; the last run started {} ago", id,
                        node.restarts, Duration(node.uptime_seconds)));
    }
    if (tree.size.memory_bytes > 0 && node.memory_bytes &&
        *node.memory_bytes >=
            static_cast<int64_t>(thresholds.memory_near_limit *
                                 static_cast<double>(tree.size.memory_bytes))) {
      Raise(tree, Colour::kYellow,
            fmt::format("{} uses {:.0f}% of its memory limit ({} of {})", id,
                        100.0 * static_cast<double>(*node.memory_bytes) /
                            static_cast<double>(tree.size.memory_bytes),
                        Bytes(*node.memory_bytes), Bytes(tree.size.memory_bytes)));
    }
  }

  const StorageNode& storage = tree.storage;
  if (int64_t usable = storage.filesystem_used_bytes + storage.filesystem_available_bytes;
      usable > 0) {
    // As `df`'s Use%: the blocks reserved for root do not count as free.
    double used = static_cast<double>(storage.filesystem_used_bytes) / static_cast<double>(usable);
    if (used >= thresholds.disk_near_full) {
      Raise(tree, Colour::kYellow,
            fmt::format("the disk holding the volumes is {:.0f}% full ({} left)", used * 100,
                        Bytes(storage.filesystem_available_bytes)));
    }
  }

  for (const CertificateNode& certificate : tree.certificates) {
    if (certificate.state == "error") {
      Raise(tree, Colour::kYellow,
            fmt::format("no certificate for {}: {}", certificate.host, certificate.error));
    } else if (certificate.state == "expired") {
      Raise(tree, Colour::kYellow, fmt::format("the certificate of {} has expired", certificate.host));
    } else if (certificate.state == "valid" && certificate.issuer != "internal" &&
               certificate.expires_at > 0 &&
               certificate.expires_at - now < thresholds.certificate_expiry_warning_seconds) {
      Raise(tree, Colour::kYellow,
            fmt::format("the certificate of {} expires in {} and has not been renewed",
                        certificate.host, Duration(std::max<int64_t>(0, certificate.expires_at - now))));
    }
  }
}

}  // namespace yard::deployments
