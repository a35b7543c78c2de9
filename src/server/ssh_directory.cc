#include "server/ssh_directory.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "ssh/service_choice.h"

namespace yard::server {
namespace {

store::User AsUser(const ssh::Account& account) {
  return {.id = account.user_id,
          .name = account.name,
          .role = account.admin ? store::Role::kAdmin : store::Role::kUser};
}

// A service whose container runs (healthy or not): forwards to it can connect.
bool Serving(const std::string& state) {
  return state == "running" || state == "unhealthy" || state == "starting";
}

}  // namespace

SshDirectory::SshDirectory(store::UserStore& users, store::SshKeyStore& keys,
                           projects::ProjectService& projects,
                           store::DeploymentStore& deployments,
                           controller::Controller& controller, runtime::Runtime& runtime)
    : users_(users),
      keys_(keys),
      projects_(projects),
      deployments_(deployments),
      controller_(controller),
      runtime_(runtime) {}

Result<std::optional<ssh::Account>> SshDirectory::FindKey(const std::string& fingerprint,
                                                          const std::string& key_type,
                                                          const std::string& key_base64) {
  auto key = keys_.FindByFingerprint(fingerprint);
  if (!key) {
    if (key.error().code == ErrorCode::kNotFound) return std::optional<ssh::Account>();
    return Unexpected(key.error());
  }
  // The fingerprint is a hash of the blob: comparing the blob too costs nothing.
  if (key->public_key != key_base64 || key->key_type != key_type) {
    log::Warn("ssh: key {} matches a stored fingerprint but not its blob", fingerprint);
    return std::optional<ssh::Account>();
  }
  store::User user = TRY(users_.Get(key->user_id));
  return std::optional<ssh::Account>(ssh::Account{
      .user_id = user.id, .name = user.name, .admin = user.role == store::Role::kAdmin});
}

Result<store::Deployment> SshDirectory::FindDeployment(const ssh::Account& account,
                                                       const ssh::SshTarget& target) {
  auto project = projects_.Find(target.project, AsUser(account));
  if (!project) {
    if (project.error().code != ErrorCode::kNotFound) return Unexpected(project.error());
    // The same answer for a project that does not exist and one the user is not in.
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("yard: {} is not a member of a project named '{}' (ask one of "
                                  "its owners to add you: yard projects members add)",
                                  account.name, target.project));
  }
  auto deployment = deployments_.FindByName(project->id, target.deployment);
  if (!deployment) {
    if (deployment.error().code != ErrorCode::kNotFound) return Unexpected(deployment.error());
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("yard: project {} has no deployment named '{}' (see yard "
                                  "deployments list {})",
                                  target.project, target.deployment, target.project));
  }
  return deployment;
}

Status SshDirectory::Authorize(const ssh::Account& account, const ssh::SshTarget& target) {
  if (target.kind == ssh::SshTarget::Kind::kGit) return Ok();
  TRY(FindDeployment(account, target));
  return Ok();
}

Result<ssh::Located> SshDirectory::Locate(const ssh::Account& account,
                                          const ssh::SshTarget& target) {
  store::Deployment deployment = TRY(FindDeployment(account, target));
  std::optional<controller::DeploymentStatus> status = controller_.StatusOf(deployment.id);
  ssh::DeploymentSeen seen{.project = target.project,
                           .name = target.deployment,
                           .phase = status ? std::string(controller::PhaseName(status->phase))
                                           : std::string(),
                           .stopped = deployment.desired != store::Desired::kRunning};
  if (status) {
    seen.primary = status->primary;
    for (const controller::ServiceStatus& service : status->services) {
      seen.services.push_back({.id = service.id,
                               .addon = service.addon,
                               .state = std::string(controller::ServiceStateName(service.state)),
                               .container = service.container,
                               .last_exit_code = service.last_exit_code,
                               .reason = service.reason});
    }
  }
  ssh::ServiceSeen chosen = TRY(ssh::ChooseService(seen, target.component));
  ssh::Located located{.service = chosen.id, .container_id = chosen.container};
  for (const ssh::ServiceSeen& service : seen.services) located.services.push_back(service.id);
  // Where forwards to other services go: their containers' addresses on the deployment's
  // network, asked of the engine now (a container replaced since gets its new address).
  for (const ssh::ServiceSeen& service : seen.services) {
    if (service.container.empty() || !Serving(service.state)) continue;
    auto info = runtime_.InspectContainer(service.container);
    if (info && *info && !(*info)->ip.empty()) located.service_ips[service.id] = (*info)->ip;
  }
  return located;
}

void SshDirectory::KeyUsed(const std::string& fingerprint) {
  auto key = keys_.FindByFingerprint(fingerprint);
  if (!key) return;  // removed in the meantime
  if (Status touched = keys_.TouchLastUsed(*key); !touched) {
    log::Warn("ssh: cannot record the use of key {}: {}", fingerprint, touched.error().message);
  }
}

}  // namespace yard::server
