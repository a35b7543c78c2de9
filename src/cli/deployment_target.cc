#include "cli/deployment_target.h"

#include <fmt/core.h>

#include "http/message.h"

namespace yard::cli {

Result<DeploymentTarget> ParseDeploymentTarget(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string::npos) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("'{}' is not PROJECT/DEPLOYMENT (e.g. shop/dev)", text));
  }
  return DeploymentTarget{text.substr(0, slash), text.substr(slash + 1)};
}

std::string DeploymentPath(const DeploymentTarget& target) {
  return fmt::format("/api/v1/projects/{}/deployments/{}", http::PercentEncode(target.project),
                     http::PercentEncode(target.deployment));
}

}  // namespace yard::cli
