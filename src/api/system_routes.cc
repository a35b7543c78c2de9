#include "api/api.h"
#include "api/json.h"
#include "base/version.h"

namespace yard::api {

void AddSystemRoutes(Router& router) {
  router.Add("GET", "/healthz", Access::kPublic, [](const RouteContext&) -> Result<http::Response> {
    return JsonResponse(200, {{"status", "ok"}});
  });
  router.Add("GET", "/api/v1/version", Access::kAuthenticated, [](const RouteContext&) -> Result<http::Response> {
    return JsonResponse(200, {{"version", kVersion}, {"api", kApiVersion}});
  });
}

void AddAllRoutes(Router& router, Services& services) {
  AddSystemRoutes(router);
  AddUserRoutes(router, services);
  AddTokenRoutes(router, services);
  AddKeyRoutes(router, services);
  AddPasswordRoutes(router, services);
  if (services.sessions != nullptr) AddSessionRoutes(router, services);
  AddProjectRoutes(router, services);
  AddWebhookRoutes(router, services);
  AddSshRoutes(router, services);
  if (services.event_log != nullptr) AddEventRoutes(router, services);
  if (services.deployments != nullptr) {
    AddDeploymentRoutes(router, services);
    AddDomainRoutes(router, services);
    if (services.delivery != nullptr) AddDeliveryRoutes(router, services);
    if (services.logs != nullptr) AddLogRoutes(router, services);
    if (services.configuration != nullptr) AddConfigRoutes(router, services);
    if (services.status_trees != nullptr) AddStatusRoutes(router, services);
    if (services.status_trees != nullptr && services.metrics != nullptr) {
      AddMetricsRoutes(router, services);
    }
    if (services.actions != nullptr) AddActionRoutes(router, services);
    if (services.trash != nullptr) AddTrashRoutes(router, services);
    if (services.auto_stop != nullptr) AddEnableRoutes(router, services);
    if (services.cloner != nullptr) AddCloneRoutes(router, services);
    if (services.resource_samples != nullptr) AddResourceRoutes(router, services);
  }
}

}  // namespace yard::api
