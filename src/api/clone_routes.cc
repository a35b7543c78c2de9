// Clones of deployments with their data (deployments/clone.h):
//   POST …/deployments/{deployment}/clone  {"name", "stage", "size"}  → 202, the new deployment and
//        its copy's progress;
//   GET  …/deployments/{deployment}/clone  → how the copy into {deployment} goes (or went).
// docs/api.md "Clones".

#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "api/size_request.h"
#include "api/views.h"
#include "base/log.h"
#include "deployments/clone.h"

namespace yard::api {
namespace {

Json CloneView(const std::string& name, const deployments::CloneProgress& progress) {
  int percent = progress.bytes_total <= 0
                    ? (progress.state == deployments::CloneProgress::State::kDone ? 100 : 0)
                    : static_cast<int>(progress.bytes_done * 100 / progress.bytes_total);
  return Json{
      {"deployment", name},
      {"source", progress.source},
      {"state", deployments::CloneStateName(progress.state)},
      {"bytes_done", progress.bytes_done},
      {"bytes_total", progress.bytes_total},
      {"percent", percent},
      {"reflinks", progress.reflinks},
      {"seconds", progress.seconds},
      {"error", progress.error.empty() ? Json(nullptr) : Json(progress.error)},
      {"started_at", TimeView(progress.started_at)},
      {"finished_at", progress.finished_at == 0 ? Json(nullptr) : TimeView(progress.finished_at)}};
}

}  // namespace

void AddCloneRoutes(Router& router, Services& services) {
  router.Add("POST", "/api/v1/projects/{project}/deployments/{deployment}/clone",
             Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               store::Deployment source =
                   TRY(services.deployments->Find(project, context.Param("deployment")));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"name", "stage", "size"}));
               deployments::CloneRequest request;
               request.name = TRY(RequiredString(body, "name"));
               request.stage = TRY(OptionalString(body, "stage")).value_or("");
               if (body.contains("size") && !body["size"].is_null()) {
                 // Changed from the source's size, as a PATCH would (deployments/sizes.h).
                 request.size = TRY(deployments::ApplySizeChange(
                     {source.cpu_millis, source.memory_bytes}, TRY(SizeChangeOf(body["size"]))));
               }
               store::Deployment clone =
                   TRY(services.cloner->Clone(project, source, request, context.principal->user));
               // As for any new deployment: a development stage's auto_stop applies.
               if (services.auto_stop != nullptr) {
                 if (Status timed = services.auto_stop->Created(clone); !timed) {
                   log::Warn("{}/{}: {}", project.name, clone.name, timed.error().message);
                 }
               }
               // The row as it is now (the copy may have moved its reason on already, or
               // failed and removed it: the progress says so).
               auto fresh = services.deployment_store->Find(clone.id);
               Json view = DeploymentView(services, fresh ? *fresh : clone, std::nullopt);
               if (auto progress = services.cloner->ProgressOf(project.id, clone.name)) {
                 view["clone"] = CloneView(clone.name, *progress);
               }
               return JsonResponse(202, view);
             });

  router.Add(
      "GET", "/api/v1/projects/{project}/deployments/{deployment}/clone", Access::kAuthenticated,
      [&services](const RouteContext& context) -> Result<http::Response> {
        store::Project project =
            TRY(services.projects.Find(context.Param("project"), context.principal->user));
        // Not through the deployment: a clone that failed was removed, and its failure is
        // what the client polls for.
        std::string name = context.Param("deployment");
        auto progress = services.cloner->ProgressOf(project.id, name);
        if (!progress) {
          return Unexpected(ErrorCode::kNotFound,
                            fmt::format("no clone into '{}' since the server started", name));
        }
        return JsonResponse(200, CloneView(name, *progress));
      });
}

}  // namespace yard::api
