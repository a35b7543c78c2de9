// /api/v1/projects/{project}/trash...: deleted deployments kept for restoring
// (deployments/trash.h): list, restore, purge now. docs/api.md "Trash".

#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "api/views.h"
#include "base/fs.h"
#include "deployments/trash.h"

namespace yard::api {
namespace {

Json TrashEntryView(const store::TrashEntry& entry) {
  return Json{{"id", entry.id},
              {"name", entry.name},
              {"stage", entry.stage},
              {"deployment_id", entry.deployment_id},
              {"path", entry.path},
              {"has_data", fs::Exists(entry.path)},
              {"deleted_at", TimeView(entry.deleted_at)},
              {"deleted_by", entry.deleted_by_name.empty() ? Json(nullptr)
                                                           : Json(entry.deleted_by_name)},
              {"purge_at", TimeView(entry.purge_at)}};
}

}  // namespace

void AddTrashRoutes(Router& router, Services& services) {
  if (services.trash == nullptr) return;
  deployments::Trash& trash = *services.trash;

  router.Add("GET", "/api/v1/projects/{project}/trash", Access::kAuthenticated,
             [&services, &trash](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               Json entries = Json::array();
               for (const store::TrashEntry& entry : TRY(trash.List(project))) {
                 entries.push_back(TrashEntryView(entry));
               }
               return JsonResponse(200, {{"trash", entries},
                                         {"retention_seconds", trash.retention().count()}});
             });

  router.Add("POST", "/api/v1/projects/{project}/trash/{entry}/restore", Access::kAuthenticated,
             [&services, &trash](const RouteContext& context) -> Result<http::Response> {
               const store::User& user = context.principal->user;
               store::Project project = TRY(services.projects.Find(context.Param("project"), user));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"name"}));
               std::string name = TRY(OptionalString(body, "name")).value_or("");
               deployments::RestoreOutcome outcome =
                   TRY(trash.Restore(project, context.Param("entry"), name, user));
               std::optional<controller::DeploymentStatus> status;
               if (services.deployments != nullptr) {
                 status = services.deployments->StatusOf(outcome.deployment);
               }
               return JsonResponse(201, {{"deployment", DeploymentView(services, outcome.deployment,
                                                                       status)},
                                         {"data", outcome.data},
                                         {"domains", outcome.domains},
                                         {"notes", outcome.notes}});
             });

  router.Add("DELETE", "/api/v1/projects/{project}/trash/{entry}", Access::kAuthenticated,
             [&services, &trash](const RouteContext& context) -> Result<http::Response> {
               const store::User& user = context.principal->user;
               // Purging cannot be undone: the project's owners (and admins) only.
               store::Project project =
                   TRY(services.projects.FindAsOwner(context.Param("project"), user));
               store::TrashEntry entry = TRY(trash.Find(project, context.Param("entry")));
               TRY(trash.Purge(entry, &user));
               return JsonResponse(200, {{"purged", TrashEntryView(entry)}});
             });
}

}  // namespace yard::api
