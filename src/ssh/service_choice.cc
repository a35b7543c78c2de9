#include "ssh/service_choice.h"

#include <fmt/core.h>

namespace yard::ssh {
namespace {

// A container exists and runs in these states (starting: created, health not passed yet).
bool HasRunningContainer(const ServiceSeen& service) {
  return !service.container.empty() && (service.state == "running" || service.state == "starting" ||
                                        service.state == "unhealthy");
}

// How a state without a container reads in a sentence ("web of shop/dev ...").
std::string Describe(const std::string& state) {
  if (state == "pending") return "is not started yet";
  if (state == "waiting") return "is waiting for the add-ons it imports from";
  if (state == "installing") return "is running its install step";
  if (state == "install-failed") return "stopped after its install step failed";
  if (state == "crashed") return "crashed";
  return "is " + state;
}

std::string Printable(std::string_view text) {
  std::string shown;
  for (char c : text.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  return shown;
}

}  // namespace

Result<ServiceSeen> ChooseService(const DeploymentSeen& deployment, std::string_view component) {
  const std::string name = fmt::format("{}/{}", deployment.project, deployment.name);
  if (deployment.stopped) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("yard: {} is stopped; start it with `yard deployments start "
                                  "{}`",
                                  name, name));
  }
  std::string wanted = component.empty() ? deployment.primary : std::string(component);
  const ServiceSeen* service = nullptr;
  std::string ids;
  for (const ServiceSeen& candidate : deployment.services) {
    if (candidate.id == wanted) service = &candidate;
    ids += (ids.empty() ? "" : ", ") + candidate.id;
  }
  if (service == nullptr) {
    if (deployment.services.empty()) {
      // Nothing observed yet: a new deployment (being built), or a server that just started.
      return Unexpected(
          ErrorCode::kFailedPrecondition,
          fmt::format("yard: {} has no containers yet{}; `yard deployments show "
                      "{}` tells how it goes",
                      name, deployment.phase.empty() ? "" : " (it is " + deployment.phase + ")",
                      name));
    }
    return Unexpected(
        ErrorCode::kNotFound,
        fmt::format("yard: {} has no component or add-on '{}'; it has {} (use "
                    "SERVICE.{}.{})",
                    name, Printable(wanted), ids, deployment.name, deployment.project));
  }
  if (HasRunningContainer(*service)) return *service;
  std::string why = fmt::format("{} of {} {}", service->id, name, Describe(service->state));
  if (service->state == "crashed" && service->last_exit_code) {
    why += fmt::format(" (exit code {}) and restarts after a back-off", *service->last_exit_code);
  }
  if (!service->reason.empty()) why += ": " + service->reason;
  return Unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("yard: {}; there is no running container to connect to (`yard "
                                "deployments show {}` tells more)",
                                why, name));
}

}  // namespace yard::ssh
