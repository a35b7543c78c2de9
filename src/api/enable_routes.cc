// POST /api/v1/projects/{project}/deployments/{deployment}/enable and /disable: run a
// deployment, for a while or until stopped, or run nothing and keep its storage
// (deployments/auto_stop.h). docs/api.md "Enabling and disabling".

#include <fmt/core.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/views.h"
#include "deployments/auto_stop.h"
#include "events/kinds.h"

namespace yard::api {

void AddEnableRoutes(Router& router, Services& services) {
  if (services.auto_stop == nullptr || services.deployments == nullptr) return;
  auto deployment_of = [&services](const RouteContext& context)
      -> Result<store::Deployment> {
    store::Project project =
        TRY(services.projects.Find(context.Param("project"), context.principal->user));
    return services.deployments->Find(project, context.Param("deployment"));
  };
  auto show = [&services](const store::Deployment& d) -> Result<http::Response> {
    store::Deployment fresh = TRY(services.deployment_store->Find(d.id));
    return JsonResponse(202,
                        DeploymentView(services, fresh, services.deployments->StatusOf(fresh)));
  };

  router.Add("POST", "/api/v1/projects/{project}/deployments/{deployment}/enable",
             Access::kAuthenticated,
             [&services, deployment_of, show](const RouteContext& context)
                 -> Result<http::Response> {
               store::Deployment d = TRY(deployment_of(context));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"for"}));
               deployments::RunFor run_for =
                   TRY(deployments::ParseRunFor(TRY(OptionalString(body, "for")).value_or("")));
               store::Deployment enabled = TRY(services.auto_stop->Enable(d, run_for));
               std::string until =
                   enabled.stop_at
                       ? fmt::format("until {}", FormatTimestamp(*enabled.stop_at))
                       : std::string("until stopped");
               Audit(services, context,
                     {.project_id = d.project_id,
                      .project = d.project,
                      .deployment_id = d.id,
                      .deployment = d.name,
                      .kind = std::string(events::kDeploymentEnabled),
                      .message = "enabled " + until,
                      .data = {{"stop_at", enabled.stop_at ? Json(*enabled.stop_at)
                                                           : Json(nullptr)}}});
               return show(enabled);
             });

  router.Add("POST", "/api/v1/projects/{project}/deployments/{deployment}/disable",
             Access::kAuthenticated,
             [&services, deployment_of, show](const RouteContext& context)
                 -> Result<http::Response> {
               store::Deployment d = TRY(deployment_of(context));
               TRY(RejectUnknownFields(TRY(ParseBody(context.request)), {}));
               TRY(services.auto_stop->Disable(d));
               Audit(services, context,
                     {.project_id = d.project_id,
                      .project = d.project,
                      .deployment_id = d.id,
                      .deployment = d.name,
                      .kind = std::string(events::kDeploymentDisabled),
                      .message = "disabled: nothing runs; its storage is kept"});
               return show(d);
             });
}

}  // namespace yard::api
