// /api/v1/projects/{project}/deployments...: create, list, show (with the status tree),
// start, stop, restart, rebuild, delete, builds and their logs. Changes answer 202: the
// controller does the work, and `show` tells how it goes.

#include <charconv>

#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "api/views.h"
#include "base/fs.h"
#include "deployments/deployment_service.h"

namespace yard::api {
namespace {

using controller::DeploymentStatus;

Json ServiceView(const controller::ServiceStatus& service) {
  return Json{{"id", service.id},
              {"kind", service.addon ? "addon" : "component"},
              {"state", controller::ServiceStateName(service.state)},
              {"health", controller::HealthStateName(service.health)},
              {"restarts", service.restarts},
              {"image", service.image},
              {"container", service.container.empty() ? Json(nullptr) : Json(service.container)},
              {"started_at", service.started_at ? TimeView(service.started_at) : Json(nullptr)},
              {"address", service.address.empty() ? Json(nullptr) : Json(service.address)},
              {"last_exit_code",
               service.last_exit_code ? Json(*service.last_exit_code) : Json(nullptr)},
              {"last_log", service.last_log},
              {"reason", service.reason.empty() ? Json(nullptr) : Json(service.reason)}};
}

Json EndpointView(const controller::EndpointStatus& endpoint) {
  Json hosts = Json::array();
  for (const auto& host : endpoint.hosts) {
    const edge::HostCertificate& certificate = host.certificate;
    hosts.push_back(
        {{"name", host.name},
         {"url", host.url},
         {"custom", host.custom},
         {"certificate",
          {{"state", certificate.state},
           {"issuer", certificate.issuer.empty() ? Json(nullptr) : Json(certificate.issuer)},
           {"expires_at",
            certificate.not_after ? TimeView(certificate.not_after) : Json(nullptr)},
           {"error", certificate.error.empty() ? Json(nullptr) : Json(certificate.error)}}}});
  }
  return Json{{"id", endpoint.id},
              {"service", endpoint.service},
              {"url", endpoint.url},
              {"hosts", hosts},
              {"upstream", endpoint.upstream.empty() ? Json(nullptr) : Json(endpoint.upstream)}};
}

Json DeploymentView(const Services& services, const store::Deployment& d,
                    const std::optional<DeploymentStatus>& status) {
  Json view{{"project", d.project},
            {"name", d.name},
            {"stage", d.stage},
            {"branch", d.branch},
            {"params", d.params},
            {"env", d.env},
            {"size", {{"cpus", d.cpu_millis ? Json(static_cast<double>(d.cpu_millis) / 1000.0)
                                            : Json(nullptr)},
                      {"memory_bytes", d.memory_bytes ? Json(d.memory_bytes) : Json(nullptr)}}},
            {"desired", store::DesiredName(d.desired)},
            {"commit", d.release_commit.empty() ? Json(nullptr) : Json(d.release_commit)},
            {"target_commit", d.target_commit.empty() ? Json(nullptr) : Json(d.target_commit)},
            {"version", d.version},
            {"created_at", TimeView(d.created_at)},
            {"updated_at", TimeView(d.updated_at)}};
  if (status) {
    Json reasons = status->reasons;
    Json service_views = Json::array();
    for (const auto& service : status->services) service_views.push_back(ServiceView(service));
    Json endpoints = Json::array();
    for (const auto& endpoint : status->endpoints) endpoints.push_back(EndpointView(endpoint));
    view["status"] = {{"phase", controller::PhaseName(status->phase)},
                      {"colour", controller::ColourName(status->colour)},
                      {"reasons", reasons},
                      {"rolled_back", status->rolled_back},
                      {"observed_at", TimeView(status->observed_at)},
                      {"observed_version", status->observed_version},
                      {"services", service_views},
                      {"primary", status->primary.empty() ? Json(nullptr) : Json(status->primary)}};
    view["endpoints"] = endpoints;
    std::vector<std::string> ids;
    for (const auto& service : status->services) ids.push_back(service.id);
    view["ssh"] = DeploymentSshView(services, d.project, d.name, ids);
  } else {
    // Not observed yet (the server just started): what the store last recorded.
    view["status"] = {{"phase", d.phase},
                      {"colour", d.phase == "running" ? "green"
                                 : d.phase == "failed" ? "red"
                                                       : "yellow"},
                      {"reasons", d.reason.empty() ? Json::array() : Json::array({d.reason})},
                      {"observed_at", nullptr},
                      {"rolled_back", Json::array()},
                      {"observed_version", 0},
                      {"services", Json::array()},
                      {"primary", nullptr}};
    view["endpoints"] = Json::array();
    view["ssh"] = DeploymentSshView(services, d.project, d.name, {});
  }
  return view;
}

Json BuildView(const store::BuildRecord& build) {
  return Json{{"id", build.id},
              {"commit", build.commit},
              {"state", store::BuildStateName(build.state)},
              {"error", build.error.empty() ? Json(nullptr) : Json(build.error)},
              {"images", build.images},
              {"started_at", TimeView(build.started_at)},
              {"finished_at", TimeView(build.finished_at)}};
}

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
                 const Json& size = body["size"];
                 if (!size.is_object()) {
                   return Unexpected(ErrorCode::kInvalidArgument,
                                     "'size' must be an object: {\"cpus\": \"0.5\", \"memory\": "
                                     "\"512m\"}");
                 }
                 TRY(RejectUnknownFields(size, {"cpus", "memory"}));
                 if (auto cpus = TRY(OptionalString(size, "cpus"))) {
                   request.cpu_millis = TRY(deployments::ParseCpus(*cpus));
                 }
                 if (auto memory = TRY(OptionalString(size, "memory"))) {
                   request.memory_bytes = TRY(deployments::ParseMemory(*memory));
                 }
               }
               store::Deployment d =
                   TRY(services.deployments->Create(project, request, context.principal->user));
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
               [&services, deployment_of, show, run](const RouteContext& context)
                   -> Result<http::Response> {
                 auto [project, d] = TRY(deployment_of(context));
                 TRY(run(services, context, project, d));
                 return show(d, 202);
               });
  };
  action("start", [](Services& s, const RouteContext&, const store::Project&,
                     const store::Deployment& d) { return s.deployments->Start(d); });
  action("stop", [](Services& s, const RouteContext&, const store::Project&,
                    const store::Deployment& d) { return s.deployments->Stop(d); });
  action("rebuild", [](Services& s, const RouteContext&, const store::Project& project,
                       const store::Deployment& d) { return s.deployments->Rebuild(d, project); });
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
               auto fresh = services.deployment_store->Find(d.id);
               if (!fresh) return http::Response{.status = 202};
               return show(*fresh, 202);
             });

  router.Add("GET", "/api/v1/projects/{project}/deployments/{deployment}/builds",
             Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               Json list = Json::array();
               for (const auto& build : TRY(services.deployments->Builds(d))) {
                 list.push_back(BuildView(build));
               }
               return JsonResponse(200, {{"builds", list}});
             });

  router.Add("GET", "/api/v1/projects/{project}/deployments/{deployment}/builds/{build}/log",
             Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               int64_t id = 0;
               const std::string& text = context.Param("build");
               auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
               if (error != std::errc() || end != text.data() + text.size()) {
                 return Unexpected(ErrorCode::kNotFound, "no such build: " + text);
               }
               store::BuildRecord build = TRY(services.deployments->FindBuild(d, id));
               std::string path = fmt::format("{}/{}.log", services.build_logs_dir, build.id);
               std::string log = fs::Exists(path) ? TRY(fs::ReadFile(path)) : "";
               return JsonResponse(200, {{"build", BuildView(build)}, {"log", log}});
             });
}

}  // namespace yard::api
