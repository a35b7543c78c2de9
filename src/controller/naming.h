#pragma once

// Names of the engine objects and host directories of a deployment. Names are for people
// reading `podman ps`; identity is in the labels (runtime.h), which is what the controller
// matches on. Every name starts with `sy-` and the installation's id, so that two servers on
// one engine never collide.

#include <cstdint>
#include <string>

namespace yard::controller {

struct Naming {
  std::string installation;  // the 12-character installation id
  std::string volumes_dir;   // DATA_DIR/volumes

  /// sy-<inst>-<project>-<deployment>
  std::string Network(const std::string& project, const std::string& deployment) const;
  /// sy-<inst>-<project>-<deployment>-<service>-<generation>
  std::string Container(const std::string& project, const std::string& deployment,
                        const std::string& service, int64_t generation) const;
  /// sy-<inst>-<project>-<deployment>-<service>-install
  std::string InstallContainer(const std::string& project, const std::string& deployment,
                               const std::string& service) const;
  /// localhost/stackyard/<inst>/<project>/<service>:<commit12> (built stages).
  std::string BuiltImage(const std::string& project, const std::string& service,
                         const std::string& commit) const;
  /// localhost/stackyard/<inst>/<project>/<service>-dev:<digest12> (dev images, keyed by the
  /// content of their Dockerfile).
  std::string DevImage(const std::string& project, const std::string& service,
                       const std::string& digest) const;

  /// volumes/<project>/<deployment>: everything a deployment keeps on disk.
  std::string DeploymentDir(const std::string& project, const std::string& deployment) const;
  /// .../code: a development deployment's checkout.
  std::string CodeDir(const std::string& project, const std::string& deployment) const;
  /// .../data/<service>/<storage id>: a storage volume.
  std::string StorageDir(const std::string& project, const std::string& deployment,
                         const std::string& service, const std::string& storage) const;
};

}  // namespace yard::controller
