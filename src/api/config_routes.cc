// /api/v1/projects/{project}/deployments/{deployment}/env and /params: a deployment's
// configuration, with the origin of every value, and the overrides and params people set
// (deployments/configuration.h). docs/api.md "Env and params". Secrets are write-only: they
// are listed masked unless revealed, which only the project's owners and admins may do.

#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "base/names.h"
#include "deployments/configuration.h"

namespace yard::api {
namespace {

struct Target {
  store::Project project;
  store::Deployment deployment;
};

Result<bool> Flag(const http::Request& request, const char* name) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second == "0" || it->second == "false") return false;
  if (it->second.empty() || it->second == "1" || it->second == "true") return true;
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' must be true or false, not '{}'", name, it->second));
}

// The project and deployment of the path; with `reveal`, the caller must own the project.
Result<Target> Find(Services& services, const RouteContext& context, bool reveal) {
  const store::User& user = context.principal->user;
  store::Project project = TRY(services.projects.Find(context.Param("project"), user));
  if (reveal) {
    auto owner = services.projects.FindAsOwner(project.name, user);
    if (!owner) {
      return Unexpected(ErrorCode::kPermissionDenied,
                        fmt::format("revealing secrets is for owners of '{}' and admins; list "
                                    "without reveal to see everything else",
                                    project.name));
    }
  }
  store::Deployment d = TRY(services.deployments->Find(project, context.Param("deployment")));
  return Target{std::move(project), std::move(d)};
}

Result<std::string> Component(const http::Request& request) {
  auto it = request.query.find("component");
  if (it == request.query.end() || it->second.empty()) return std::string();
  TRY(ValidateName(it->second, "component"));
  return it->second;
}

Json Nullable(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

http::Response ChangeResponse(const deployments::ConfigChange& change) {
  Json services = Json::array();
  for (const auto& service : change.services) {
    services.push_back({{"service", service.id}, {"action", service.action}});
  }
  return JsonResponse(202, {{"version", change.version}, {"services", std::move(services)}});
}

}  // namespace

void AddConfigRoutes(Router& router, Services& services) {
  const std::string base = "/api/v1/projects/{project}/deployments/{deployment}";
  deployments::Configuration* config = services.configuration;

  router.Add("GET", base + "/env", Access::kAuthenticated,
             [&services, config](const RouteContext& context) -> Result<http::Response> {
               bool reveal = TRY(Flag(context.request, "reveal"));
               std::string component = TRY(Component(context.request));
               Target t = TRY(Find(services, context, reveal));
               std::vector<deployments::EnvEntry> entries =
                   TRY(config->ListEnv(t.project, t.deployment, component, reveal));
               Json variables = Json::array();
               for (const deployments::EnvEntry& entry : entries) {
                 variables.push_back({{"service", entry.service},
                                      {"kind", entry.addon ? "addon" : "component"},
                                      {"name", entry.name},
                                      {"value", Nullable(entry.value)},
                                      {"secret", entry.secret},
                                      {"origin", entry.origin},
                                      {"source", entry.source.empty() ? Json(nullptr)
                                                                      : Json(entry.source)}});
               }
               return JsonResponse(200, {{"commit", t.deployment.target_commit},
                                         {"revealed", reveal},
                                         {"variables", std::move(variables)}});
             });

  router.Add("PUT", base + "/env/{name}", Access::kAuthenticated,
             [&services, config](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"value", "secret", "component"}));
               std::string value = TRY(RequiredString(body, "value"));
               bool secret = TRY(OptionalBool(body, "secret")).value_or(false);
               std::string component = TRY(OptionalString(body, "component")).value_or("");
               if (!component.empty()) TRY(ValidateName(component, "component"));
               Target t = TRY(Find(services, context, false));
               return ChangeResponse(TRY(config->SetEnv(t.project, t.deployment,
                                                        context.Param("name"), value, secret,
                                                        component, context.principal->user)));
             });

  router.Add("DELETE", base + "/env/{name}", Access::kAuthenticated,
             [&services, config](const RouteContext& context) -> Result<http::Response> {
               std::string component = TRY(Component(context.request));
               Target t = TRY(Find(services, context, false));
               return ChangeResponse(TRY(config->UnsetEnv(t.project, t.deployment,
                                                          context.Param("name"), component,
                                                          context.principal->user)));
             });

  router.Add("GET", base + "/params", Access::kAuthenticated,
             [&services, config](const RouteContext& context) -> Result<http::Response> {
               bool reveal = TRY(Flag(context.request, "reveal"));
               Target t = TRY(Find(services, context, reveal));
               Json params = Json::array();
               for (const deployments::ParamEntry& param :
                    TRY(config->ListParams(t.project, t.deployment, reveal))) {
                 params.push_back({{"id", param.id},
                                   {"type", param.type},
                                   {"values", param.values},
                                   {"description", param.description},
                                   {"value", Nullable(param.value)},
                                   {"default", Nullable(param.default_value)},
                                   {"secret", param.secret},
                                   {"set", param.set}});
               }
               return JsonResponse(200, {{"commit", t.deployment.target_commit},
                                         {"revealed", reveal},
                                         {"params", std::move(params)}});
             });

  router.Add("PUT", base + "/params/{id}", Access::kAuthenticated,
             [&services, config](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"value"}));
               std::string value = TRY(RequiredString(body, "value"));
               Target t = TRY(Find(services, context, false));
               return ChangeResponse(TRY(config->SetParam(t.project, t.deployment,
                                                          context.Param("id"), value,
                                                          context.principal->user)));
             });

  router.Add("DELETE", base + "/params/{id}", Access::kAuthenticated,
             [&services, config](const RouteContext& context) -> Result<http::Response> {
               Target t = TRY(Find(services, context, false));
               return ChangeResponse(TRY(config->UnsetParam(t.project, t.deployment,
                                                            context.Param("id"),
                                                            context.principal->user)));
             });
}

}  // namespace yard::api
