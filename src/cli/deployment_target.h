#pragma once

// How client commands name a deployment: PROJECT/DEPLOYMENT, as `yard deployments` does.

#include <string>

#include "base/result.h"

namespace yard::cli {

struct DeploymentTarget {
  std::string project;
  std::string deployment;
};

/// Splits "shop/dev"; kUsage for anything but two non-empty names around one '/'.
Result<DeploymentTarget> ParseDeploymentTarget(const std::string& text);

/// The API path of the deployment, names percent-encoded: /api/v1/projects/P/deployments/D.
std::string DeploymentPath(const DeploymentTarget& target);

}  // namespace yard::cli
