// GET /api/v1/ssh, and the "ssh" member of deployment views: how clients reach the SSH
// gateway. `yard ssh` and `yard ssh-config` build on these.

#include "api/api.h"
#include "api/json.h"
#include "ssh/command_line.h"

namespace yard::api {

Json DeploymentSshView(const Services& services, const std::string& project,
                       const std::string& deployment, const std::vector<std::string>& service_ids) {
  if (services.ssh == nullptr) return nullptr;
  ssh::SshAddress address{.host = services.ssh->host, .port = services.ssh->port};
  ssh::SshTarget target{.project = project, .deployment = deployment};
  std::string user = ssh::SshUser(target);
  Json per_service = Json::object();
  for (const std::string& id : service_ids) {
    ssh::SshTarget component = target;
    component.component = id;
    per_service[id] = ssh::SshUser(component);
  }
  return Json{{"user", user},
              {"host", address.host},
              {"port", address.port},
              {"command", ssh::SshCommand(address, user)},
              {"services", per_service}};
}

void AddSshRoutes(Router& router, Services& services) {
  router.Add("GET", "/api/v1/ssh", Access::kAuthenticated,
             [&services](const RouteContext&) -> Result<http::Response> {
               if (services.ssh == nullptr) return JsonResponse(200, {{"enabled", false}});
               return JsonResponse(200, {{"enabled", true},
                                         {"host", services.ssh->host},
                                         {"port", services.ssh->port},
                                         {"host_keys", services.ssh->host_keys}});
             });
}

}  // namespace yard::api
