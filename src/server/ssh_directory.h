#pragma once

// The SSH gateway's view of Stackyard (ssh::Directory): keys and users from the store,
// membership through ProjectService (the same rule as the API: members and admins), and
// where a session runs from the controller's last status and the engine.

#include "controller/controller.h"
#include "projects/project_service.h"
#include "runtime/runtime.h"
#include "ssh/directory.h"
#include "store/deployments.h"
#include "store/ssh_keys.h"
#include "store/users.h"

namespace yard::server {

class SshDirectory final : public ssh::Directory {
 public:
  SshDirectory(store::UserStore& users, store::SshKeyStore& keys,
               projects::ProjectService& projects, store::DeploymentStore& deployments,
               controller::Controller& controller, runtime::Runtime& runtime);

  Result<std::optional<ssh::Account>> FindKey(const std::string& fingerprint,
                                              const std::string& key_type,
                                              const std::string& key_base64) override;
  Status Authorize(const ssh::Account& account, const ssh::SshTarget& target) override;
  Result<ssh::Located> Locate(const ssh::Account& account, const ssh::SshTarget& target) override;
  void KeyUsed(const std::string& fingerprint) override;

 private:
  Result<store::Deployment> FindDeployment(const ssh::Account& account,
                                           const ssh::SshTarget& target);

  store::UserStore& users_;
  store::SshKeyStore& keys_;
  projects::ProjectService& projects_;
  store::DeploymentStore& deployments_;
  controller::Controller& controller_;
  runtime::Runtime& runtime_;
};

}  // namespace yard::server
