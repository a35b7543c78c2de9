// /api/v1/projects/{project}/deployments/{deployment}/domains...: the custom domains of a
// deployment's endpoints. Open to whoever may see the deployment, like its other routes.

#include <fmt/core.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/views.h"
#include "deployments/deployment_service.h"

namespace yard::api {
namespace {

Json DomainView(const store::Domain& domain) {
  return Json{{"hostname", domain.hostname},
              {"endpoint", domain.endpoint},
              {"created_at", TimeView(domain.created_at)}};
}

// A hostname taken in a project the caller cannot see is reported without that project's
// name: outsiders must not learn which projects exist (as GET answers 404 for them).
Error HideOtherProjects(Services& services, const RouteContext& context,
                        const std::string& hostname, Error error) {
  auto owner = services.deployments->FindDomain(hostname);
  if (!owner) return error;
  if (services.projects.Find(owner->project, context.principal->user)) return error;
  return Error{error.code, fmt::format("'{}' is already used by a deployment of another project",
                                       owner->hostname)};
}

}  // namespace

void AddDomainRoutes(Router& router, Services& services) {
  using Target = std::pair<store::Project, store::Deployment>;
  auto deployment_of = [&services](const RouteContext& context) -> Result<Target> {
    store::Project project =
        TRY(services.projects.Find(context.Param("project"), context.principal->user));
    store::Deployment d = TRY(services.deployments->Find(project, context.Param("deployment")));
    return std::make_pair(project, d);
  };
  constexpr const char* kDomains = "/api/v1/projects/{project}/deployments/{deployment}/domains";

  router.Add("GET", kDomains, Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               Json list = Json::array();
               for (const auto& domain : TRY(services.deployments->ListDomains(d))) {
                 list.push_back(DomainView(domain));
               }
               return JsonResponse(200, {{"domains", list}});
             });

  router.Add("POST", kDomains, Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"hostname", "endpoint"}));
               std::string hostname = TRY(RequiredString(body, "hostname"));
               std::string endpoint = TRY(OptionalString(body, "endpoint")).value_or("");
               auto added = services.deployments->AddDomain(project, d, endpoint, hostname);
               if (!added && added.error().code == ErrorCode::kAlreadyExists) {
                 return Unexpected(HideOtherProjects(services, context, hostname, added.error()));
               }
               store::Domain domain = TRY(std::move(added));
               Audit(services, context,
                     events::AboutDeployment(d, events::kDomainAdded,
                                             fmt::format("{} routed to endpoint {}",
                                                         domain.hostname, domain.endpoint),
                                             {{"hostname", domain.hostname},
                                              {"endpoint", domain.endpoint}}));
               return JsonResponse(201, DomainView(domain));
             });

  router.Add("DELETE", std::string(kDomains) + "/{hostname}", Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               TRY(services.deployments->RemoveDomain(d, context.Param("hostname")));
               Audit(services, context,
                     events::AboutDeployment(d, events::kDomainRemoved,
                                             context.Param("hostname") + " removed",
                                             {{"hostname", context.Param("hostname")}}));
               return http::Response{.status = 204};
             });
}

}  // namespace yard::api
