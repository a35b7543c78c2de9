#pragma once

// Which container a session for DEPLOYMENT.PROJECT (its primary service) or
// COMPONENT.DEPLOYMENT.PROJECT runs in, from the deployment's status as the controller last
// published it, and what to tell the user when there is none to run in. Pure: the glue
// (server/ssh_directory.cc) copies the controller's status into these plain values, since
// the ssh module does not depend on the controller.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace yard::ssh {

/// One service as last observed (controller::ServiceStatus, reduced).
struct ServiceSeen {
  std::string id;
  bool addon = false;
  /// controller::ServiceStateName: pending, waiting, installing, starting, running,
  /// unhealthy, crashed, install-failed, stopped.
  std::string state;
  /// The container that serves it (name or id); empty when there is none.
  std::string container;
  std::optional<int> last_exit_code;
  std::string reason;
};

/// A deployment as last observed (controller::DeploymentStatus, reduced).
struct DeploymentSeen {
  std::string project;
  std::string name;
  /// controller::PhaseName; empty when the controller has not published a status yet.
  std::string phase;
  /// Desired state is stopped (or being deleted): nothing runs on purpose.
  bool stopped = false;
  std::string primary;
  std::vector<ServiceSeen> services;
};

/// The service for `component` (empty: the primary), when it has a container to run in.
/// Errors carry a message for the client ("yard: ..."): kNotFound for a component the
/// deployment does not have (listing the ones it has); kFailedPrecondition when the
/// deployment is stopped or not started yet, or the service has no running container
/// (building, installing, crashed, ...), saying what to do.
Result<ServiceSeen> ChooseService(const DeploymentSeen& deployment, std::string_view component);

}  // namespace yard::ssh
