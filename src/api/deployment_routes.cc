// /api/v1/projects/{project}/deployments...: create, list, show (with the status tree),
// start, stop, restart, rebuild, delete. Changes answer 202: the controller does the work,
// and `show` tells how it goes. Builds, releases and branch settings: delivery_routes.cc.

#include <fmt/core.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/size_request.h"
#include "api/views.h"
#include "deployments/deployment_service.h"

namespace yard::api {
namespace {

Result<std::map<std::string, std::string>> StringMap(const Json& body, const char* field) {
  std::map<std::string, std::string> out;
  if (!body.contains(field) || body[field].is_null()) return out;
  const Json& value = body[field];
  if (!value.is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' must be an object of strings", field));
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}.{}' must be a string", field, key));
    }
    out[key] = item.get<std::string>();
  }
  return out;
}

}  // namespace

void AddDeploymentRoutes(Router& router, Services& services) {
  auto project_of = [&services](const RouteContext& context) {
    return services.projects.Find(context.Param("project"), context.principal->user);
  };
  auto deployment_of = [&services, project_of](const RouteContext& context)
      -> Result<std::pair<store::Project, store::Deployment>> {
    store::Project project = TRY(project_of(context));
    store::Deployment d = TRY(services.deployments->Find(project, context.Param("deployment")));
    return std::make_pair(project, d);
  };
  auto show = [&services](const store::Deployment& d, int status) -> Result<http::Response> {
    store::Deployment fresh = TRY(services.deployment_store->Find(d.id));
    return JsonResponse(status,
                        DeploymentView(services, fresh, services.deployments->StatusOf(fresh)));
  };

  router.Add("GET", "/api/v1/projects/{project}/deployments", Access::kAuthenticated,
             [&services, project_of](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(project_of(context));
               Json list = Json::array();
               for (const auto& d : TRY(services.deployments->List(project))) {
                 list.push_back(DeploymentView(services, d, services.deployments->StatusOf(d)));
               }
               return JsonResponse(200, {{"deployments", list}});
             });

  router.Add("POST", "/api/v1/projects/{project}/deployments", Access::kAuthenticated,
             [&services, project_of, show](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(project_of(context));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"name", "stage", "branch", "params", "env", "size"}));
               deployments::CreateRequest request;
               request.name = TRY(RequiredString(body, "name"));
               request.stage = TRY(OptionalString(body, "stage")).value_or("");
               request.branch = TRY(OptionalString(body, "branch")).value_or("");
               request.params = TRY(StringMap(body, "params"));
               request.env = TRY(StringMap(body, "env"));
               if (body.contains("size") && !body["size"].is_null()) {
                 // A named size and/or limits (deployments/sizes.h).
                 deployments::Limits size =
                     TRY(deployments::ApplySizeChange({}, TRY(SizeChangeOf(body["size"]))));
                 request.cpu_millis = size.cpu_millis;
                 request.memory_bytes = size.memory_bytes;
               }
               store::Deployment d =
                   TRY(services.deployments->Create(project, request, context.principal->user));
               if (services.auto_stop != nullptr) TRY(services.auto_stop->Created(d));
               Audit(services, context,
                     events::AboutDeployment(d, events::kDeploymentCreated,
                                             fmt::format("created (stage {}, branch {})", d.stage,
                                                         d.branch)));
               return show(d, 201);
             });

  router.Add("GET", "/api/v1/projects/{project}/deployments/{deployment}", Access::kAuthenticated,
             [deployment_of, show](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               return show(d, 200);
             });

  auto action = [&](const char* verb, auto&& run) {
    router.Add("POST", fmt::format("/api/v1/projects/{{project}}/deployments/{{deployment}}/{}", verb),
               Access::kAuthenticated,
               [&services, deployment_of, show, run, verb](const RouteContext& context)
                   -> Result<http::Response> {
                 auto [project, d] = TRY(deployment_of(context));
                 TRY(run(services, context, project, d));
                 Json request = Json::parse(context.request.body, nullptr, false);
                 Audit(services, context, events::DeploymentAction(d, verb, request));
                 return show(d, 202);
               });
  };
  // Start and stop are enable and disable without a time (deployments/auto_stop.h): a
  // development stage's auto_stop applies.
  action("start", [](Services& s, const RouteContext&, const store::Project&,
                     const store::Deployment& d) -> Status {
    if (s.auto_stop == nullptr) return s.deployments->Start(d);
    TRY(s.auto_stop->Enable(d, {}));
    return Ok();
  });
  action("stop", [](Services& s, const RouteContext&, const store::Project&,
                    const store::Deployment& d) {
    return s.auto_stop == nullptr ? s.deployments->Stop(d) : s.auto_stop->Disable(d);
  });
  action("redeploy", [](Services& s, const RouteContext& context, const store::Project& project,
                        const store::Deployment& d) -> Status {
    TRY(RejectUnknownFields(TRY(ParseBody(context.request)), {}));
    return s.deployments->Redeploy(project, d);
  });
  action("rebuild", [](Services& s, const RouteContext& context, const store::Project& project,
                       const store::Deployment& d) -> Status {
    if (s.delivery == nullptr) return Unexpected(ErrorCode::kInternal, "builds are not served");
    return s.delivery->Rebuild(project, d, context.principal->user);
  });
  action("restart", [](Services& s, const RouteContext& context, const store::Project&,
                       const store::Deployment& d) -> Status {
    std::string service;
    if (!context.request.body.empty()) {
      Json body = TRY(ParseBody(context.request));
      TRY(RejectUnknownFields(body, {"service"}));
      service = TRY(OptionalString(body, "service")).value_or("");
    }
    return s.deployments->Restart(d, service);
  });

  router.Add("DELETE", "/api/v1/projects/{project}/deployments/{deployment}",
             Access::kAuthenticated,
             [&services, deployment_of, show](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               TRY(services.deployments->Delete(d));
               Audit(services, context,
                     events::AboutDeployment(d, events::kDeploymentDeleted, "deleted"));
               auto fresh = services.deployment_store->Find(d.id);
               if (!fresh) return http::Response{.status = 202};
               return show(*fresh, 202);
             });
}

}  // namespace yard::api
