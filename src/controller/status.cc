#include "controller/status.h"

#include <fmt/core.h>

namespace yard::controller {

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kCreating: return "creating";
    case Phase::kBuilding: return "building";
    case Phase::kStarting: return "starting";
    case Phase::kRunning: return "running";
    case Phase::kDegraded: return "degraded";
    case Phase::kStopped: return "stopped";
    case Phase::kFailed: return "failed";
    case Phase::kDeleting: return "deleting";
  }
  return "failed";
}

std::string_view ColourName(Colour colour) {
  switch (colour) {
    case Colour::kGreen: return "green";
    case Colour::kYellow: return "yellow";
    case Colour::kRed: return "red";
  }
  return "red";
}

std::string_view HealthStateName(HealthState health) {
  switch (health) {
    case HealthState::kNone: return "none";
    case HealthState::kStarting: return "starting";
    case HealthState::kHealthy: return "healthy";
    case HealthState::kUnhealthy: return "unhealthy";
  }
  return "none";
}

std::string_view ServiceStateName(ServiceState state) {
  switch (state) {
    case ServiceState::kPending: return "pending";
    case ServiceState::kWaiting: return "waiting";
    case ServiceState::kInstalling: return "installing";
    case ServiceState::kStarting: return "starting";
    case ServiceState::kRunning: return "running";
    case ServiceState::kUnhealthy: return "unhealthy";
    case ServiceState::kCrashed: return "crashed";
    case ServiceState::kInstallFailed: return "install-failed";
    case ServiceState::kStopped: return "stopped";
  }
  return "pending";
}

void ComputePhase(const PhaseInputs& inputs, DeploymentStatus& status) {
  status.reasons.clear();
  status.rolled_back = inputs.rollout_errors;
  auto set = [&](Phase phase, Colour colour) {
    status.phase = phase;
    status.colour = colour;
  };
  if (inputs.deleting) {
    set(Phase::kDeleting, Colour::kYellow);
    status.reasons.push_back("being deleted");
    return;
  }
  if (inputs.stopped) {
    set(Phase::kStopped, Colour::kYellow);
    status.reasons.push_back("stopped; `yard deployments start` runs it again");
    return;
  }
  if (!inputs.config_error.empty()) {
    set(Phase::kFailed, Colour::kRed);
    status.reasons.push_back(inputs.config_error);
    return;
  }
  if (inputs.build_id > 0) {
    status.build_id = inputs.build_id;
    status.build_state = !inputs.build_error.empty() ? inputs.build_ended
                         : inputs.build_queued       ? "queued"
                                                     : "running";
  }
  status.code = inputs.code;
  if (inputs.code && inputs.code->state == "diverged") {
    // Not a fault: people work in the code volume. Said so that nobody expects the push there.
    status.reasons.push_back(inputs.code->summary);
  }
  std::string build = inputs.build_id > 0 ? fmt::format("build {}", inputs.build_id) : "build";
  std::string build_problem = fmt::format("{} {}: {}", build, inputs.build_ended,
                                          inputs.build_error);
  if (!inputs.has_release) {
    if (!inputs.build_error.empty()) {
      set(Phase::kFailed, Colour::kRed);
      status.reasons.push_back(build_problem);
    } else if (inputs.building) {
      set(Phase::kBuilding, Colour::kYellow);
      status.reasons.push_back(inputs.build_queued ? build + " is queued"
                                                   : "building images (" + build + ")");
    } else {
      set(Phase::kCreating, Colour::kYellow);
      status.reasons.push_back("preparing");
    }
    return;
  }

  if (status.services.empty()) {
    // Nothing observed yet: never green by default.
    set(Phase::kStarting, Colour::kYellow);
    status.reasons.push_back("starting services");
    return;
  }
  int broken = 0, working = 0, busy = 0;
  for (const ServiceStatus& service : status.services) {
    switch (service.state) {
      case ServiceState::kRunning: ++working; break;
      case ServiceState::kCrashed:
        ++broken;
        status.reasons.push_back(
            service.last_exit_code
                ? fmt::format("{} keeps crashing (exit code {}, {} restarts)", service.id,
                              *service.last_exit_code, service.restarts)
                : fmt::format("{} keeps crashing ({} restarts)", service.id, service.restarts));
        break;
      case ServiceState::kUnhealthy:
        ++broken;
        status.reasons.push_back(fmt::format("{} fails its health check", service.id));
        break;
      case ServiceState::kInstallFailed:
        ++broken;
        status.reasons.push_back(fmt::format("the install step of {} failed", service.id));
        break;
      case ServiceState::kStopped:
      case ServiceState::kPending:
      case ServiceState::kWaiting:
      case ServiceState::kInstalling:
      case ServiceState::kStarting:
        ++busy;
        status.reasons.push_back(
            service.reason.empty()
                ? fmt::format("{} is {}", service.id, ServiceStateName(service.state))
                : fmt::format("{}: {}", service.id, service.reason));
        break;
    }
  }
  if (inputs.building) {
    status.reasons.push_back(fmt::format("{} a new version ({}); the current one serves",
                                         inputs.build_queued ? "queued" : "building", build));
  }
  if (!inputs.build_error.empty()) {
    status.reasons.push_back(build_problem + "; the previous version keeps running");
  }
  for (const std::string& service : inputs.rolling_out) {
    ++busy;
    status.reasons.push_back(service +
                             ": rolling out a new version; the previous one serves until it is "
                             "healthy, then drains");
  }
  for (const std::string& error : inputs.rollout_errors) status.reasons.push_back(error);
  if (!inputs.edge_error.empty()) {
    status.reasons.push_back("the edge does not serve its routes: " + inputs.edge_error);
  }
  if (broken > 0) {
    set(working > 0 || busy > 0 ? Phase::kDegraded : Phase::kFailed, Colour::kRed);
  } else if (!inputs.edge_error.empty()) {
    set(Phase::kDegraded, Colour::kRed);
  } else if (busy > 0) {
    set(Phase::kStarting, Colour::kYellow);
  } else if (inputs.building || !inputs.build_error.empty() || !inputs.rollout_errors.empty()) {
    set(Phase::kRunning, Colour::kYellow);
  } else {
    set(Phase::kRunning, Colour::kGreen);
  }
}

}  // namespace yard::controller
