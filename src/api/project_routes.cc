#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "api/views.h"
#include "manifest/diagnostics.h"
#include "projects/project_service.h"

namespace yard::api {
namespace {

Json ProjectView(const store::Project& project) {
  return Json{{"name", project.name},
              {"source", {{"kind", store::SourceKindName(project.source_kind)},
                          {"url", project.source_url.empty() ? Json(nullptr) : Json(project.source_url)}}},
              {"created_at", TimeView(project.created_at)},
              {"refreshed_at", TimeView(project.refreshed_at)},
              {"refresh_error",
               project.refresh_error.empty() ? Json(nullptr) : Json(project.refresh_error)}};
}

Json DiagnosticView(const manifest::Diagnostic& diagnostic) {
  return Json{{"severity", diagnostic.severity == manifest::Severity::kError ? "error" : "warning"},
              {"file", diagnostic.file},
              {"line", diagnostic.line},
              {"column", diagnostic.column},
              {"message", diagnostic.message},
              {"text", manifest::FormatDiagnostic(diagnostic)}};
}

Json DetailsView(const projects::ProjectDetails& details) {
  Json view = ProjectView(details.project);
  Json branches = Json::array();
  for (const auto& status : details.branches) {
    Json diagnostics = Json::array();
    for (const auto& diagnostic : status.diagnostics) diagnostics.push_back(DiagnosticView(diagnostic));
    branches.push_back({{"name", status.branch.name},
                        {"commit", status.branch.commit},
                        {"subject", status.branch.subject},
                        {"author", status.branch.author_name},
                        {"committed_at", TimeView(status.branch.commit_time)},
                        {"manifest", {{"state", projects::ManifestStateName(status.manifest)},
                                      {"diagnostics", diagnostics}}}});
  }
  view["branches"] = branches;
  return view;
}

}  // namespace

void AddProjectRoutes(Router& router, Services& services) {
  router.Add("GET", "/api/v1/projects", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json list = Json::array();
               for (const auto& project : TRY(services.projects.List(context.principal->user))) {
                 list.push_back(ProjectView(project));
               }
               return JsonResponse(200, {{"projects", list}});
             });

  // Mirrors the source before answering: may take as long as the clone does.
  router.Add("POST", "/api/v1/projects", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"name", "source"}));
               projects::CreateRequest request;
               request.name = TRY(RequiredString(body, "name"));
               request.source = TRY(OptionalString(body, "source")).value_or("");
               bool local = request.source.starts_with("/") || request.source.starts_with("file:");
               if (local && !context.principal->IsAdmin()) {
                 // A path reads any repository the server can read: not for everyone.
                 return Unexpected(ErrorCode::kPermissionDenied,
                                   "only admins may create projects from a path on the server; "
                                   "give a Git URL, or create a hosted project and push to it");
               }
               store::Project project =
                   TRY(services.projects.Create(request, context.principal->user));
               return JsonResponse(201, DetailsView(TRY(services.projects.Describe(project))));
             });

  router.Add("GET", "/api/v1/projects/{project}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               return JsonResponse(200, DetailsView(TRY(services.projects.Describe(project))));
             });

  router.Add("POST", "/api/v1/projects/{project}/refresh", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               TRY(services.projects.Refresh(project));
               project = TRY(services.projects.Find(project.name, context.principal->user));
               return JsonResponse(200, DetailsView(TRY(services.projects.Describe(project))));
             });

  router.Add("DELETE", "/api/v1/projects/{project}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               if (services.deployment_store != nullptr) {
                 int64_t count = TRY(services.deployment_store->CountForProject(project.id));
                 if (count > 0) {
                   return Unexpected(ErrorCode::kFailedPrecondition,
                                     fmt::format("project '{}' has {} deployment{}; delete {} "
                                                 "first",
                                                 project.name, count, count == 1 ? "" : "s",
                                                 count == 1 ? "it" : "them"));
                 }
               }
               TRY(services.projects.Delete(project));
               return http::Response{.status = 204};
             });
}

}  // namespace yard::api
