#include "controller/naming.h"

#include <fmt/core.h>

namespace yard::controller {

std::string Naming::Network(const std::string& project, const std::string& deployment) const {
  return fmt::format("sy-{}-{}-{}", installation, project, deployment);
}

std::string Naming::Container(const std::string& project, const std::string& deployment,
                              const std::string& service, int64_t generation) const {
  return fmt::format("sy-{}-{}-{}-{}-{}", installation, project, deployment, service, generation);
}

std::string Naming::InstallContainer(const std::string& project, const std::string& deployment,
                                     const std::string& service) const {
  return fmt::format("sy-{}-{}-{}-{}-install", installation, project, deployment, service);
}

std::string Naming::BuiltImage(const std::string& project, const std::string& service,
                               const std::string& commit) const {
  return fmt::format("localhost/stackyard/{}/{}/{}:{}", installation, project, service,
                     commit.substr(0, 12));
}

std::string Naming::DevImage(const std::string& project, const std::string& service,
                             const std::string& digest) const {
  return fmt::format("localhost/stackyard/{}/{}/{}-dev:{}", installation, project, service,
                     digest.substr(0, 12));
}

std::string Naming::DeploymentDir(const std::string& project,
                                  const std::string& deployment) const {
  return fmt::format("{}/{}/{}", volumes_dir, project, deployment);
}

std::string Naming::CodeDir(const std::string& project, const std::string& deployment) const {
  return DeploymentDir(project, deployment) + "/code";
}

std::string Naming::StorageDir(const std::string& project, const std::string& deployment,
                               const std::string& service, const std::string& storage) const {
  return fmt::format("{}/data/{}/{}", DeploymentDir(project, deployment), service, storage);
}

}  // namespace yard::controller
