#include <algorithm>
#include <charconv>

#include <fmt/core.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/views.h"
#include "git/hooks.h"
#include "manifest/diagnostics.h"
#include "manifest/durations.h"
#include "projects/project_service.h"
#include "ssh/command_line.h"
#include "store/push_events.h"

namespace yard::api {
namespace {

// Preview deployments' settings, or null when they are off.
Json PreviewsView(const store::Project& project) {
  if (project.preview_pattern.empty()) return nullptr;
  return Json{{"pattern", project.preview_pattern},
              {"stage", project.preview_stage},
              {"expire_after", manifest::FormatDuration(project.preview_ttl_seconds)},
              {"expire_after_seconds", project.preview_ttl_seconds}};
}

Json ProjectView(const Services& services, const store::Project& project) {
  Json git_ssh_url = nullptr;
  if (services.ssh != nullptr) {
    git_ssh_url = ssh::GitSshUrl({.host = services.ssh->host, .port = services.ssh->port},
                                 project.name);
  }
  return Json{{"name", project.name},
              {"git_ssh_url", git_ssh_url},
              {"source", {{"kind", store::SourceKindName(project.source_kind)},
                          {"url", project.source_url.empty() ? Json(nullptr) : Json(project.source_url)}}},
              {"created_at", TimeView(project.created_at)},
              {"refreshed_at", TimeView(project.refreshed_at)},
              {"refresh_error",
               project.refresh_error.empty() ? Json(nullptr) : Json(project.refresh_error)},
              {"protected_branches", project.protected_branches},
              {"deny_force_push", project.deny_force_push},
              {"deny_delete", project.deny_delete},
              {"previews", PreviewsView(project)}};
}

constexpr size_t kMaxProtectedBranches = 100;
constexpr int kDefaultPushes = 20;
constexpr int kMaxPushes = 1000;

// Branch names or globs, as git/hooks.h matches them: `refs/heads/` is dropped, duplicates
// are dropped, the order is kept.
Result<std::optional<std::vector<std::string>>> OptionalBranchList(const Json& object,
                                                                   const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' must be a list of branch names or patterns", field));
  }
  if (it->size() > kMaxProtectedBranches) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' may hold at most {} entries", field,
                                  kMaxProtectedBranches));
  }
  std::vector<std::string> branches;
  for (const Json& item : *it) {
    if (!item.is_string()) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' must be a list of strings", field));
    }
    std::string branch = item.get<std::string>();
    if (branch.starts_with("refs/heads/")) branch.erase(0, 11);
    TRY(git::ValidateBranchPattern(branch));
    if (std::find(branches.begin(), branches.end(), branch) == branches.end()) {
      branches.push_back(std::move(branch));
    }
  }
  return std::optional<std::vector<std::string>>(std::move(branches));
}

// "previews": {"pattern": "feature/*", "stage": "staging", "expire_after": "7d"} turns
// preview deployments on or changes them; null turns them off. nullopt: not in the body.
// `expire_after` is a duration as manifests write them, the current setting when left out.
Result<std::optional<deployments::PreviewSettings>> OptionalPreviews(
    const Json& body, const store::Project& project) {
  auto it = body.find("previews");
  if (it == body.end()) return std::optional<deployments::PreviewSettings>();
  if (it->is_null()) {
    return std::optional<deployments::PreviewSettings>(deployments::PreviewSettings{});
  }
  if (!it->is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "'previews' must be an object {\"pattern\", \"stage\", \"expire_after\"}, "
                      "or null to turn previews off");
  }
  TRY(RejectUnknownFields(*it, {"pattern", "stage", "expire_after"}));
  deployments::PreviewSettings settings;
  settings.pattern = TRY(RequiredString(*it, "pattern"));
  if (settings.pattern.starts_with("refs/heads/")) settings.pattern.erase(0, 11);
  if (settings.pattern.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "'pattern' is empty; to turn previews off, send \"previews\": null");
  }
  settings.stage = TRY(RequiredString(*it, "stage"));
  settings.ttl_seconds = project.preview_ttl_seconds;
  if (auto text = TRY(OptionalString(*it, "expire_after"))) {
    std::optional<int64_t> seconds = manifest::ParseDuration(*text);
    if (!seconds) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'expire_after' must be a duration from 1h to 365d, such as "
                                    "12h or 7d, not '{}'",
                                    *text));
    }
    settings.ttl_seconds = *seconds;
  }
  return std::optional<deployments::PreviewSettings>(std::move(settings));
}

Result<int> LimitParameter(const http::Request& request) {
  auto it = request.query.find("limit");
  if (it == request.query.end()) return kDefaultPushes;
  int limit = 0;
  const std::string& text = it->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (error != std::errc() || end != text.data() + text.size() || limit < 1 ||
      limit > kMaxPushes) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("limit must be a number from 1 to {}", kMaxPushes));
  }
  return limit;
}

Json MembersView(const std::vector<store::Member>& members) {
  Json list = Json::array();
  for (const auto& member : members) list.push_back(MemberView(member));
  return Json{{"members", list}};
}

Json DiagnosticView(const manifest::Diagnostic& diagnostic) {
  return Json{{"severity", diagnostic.severity == manifest::Severity::kError ? "error" : "warning"},
              {"file", diagnostic.file},
              {"line", diagnostic.line},
              {"column", diagnostic.column},
              {"message", diagnostic.message},
              {"text", manifest::FormatDiagnostic(diagnostic)}};
}

Json DetailsView(const Services& services, const projects::ProjectDetails& details) {
  Json view = ProjectView(services, details.project);
  Json branches = Json::array();
  for (const auto& status : details.branches) {
    Json diagnostics = Json::array();
    for (const auto& diagnostic : status.diagnostics) diagnostics.push_back(DiagnosticView(diagnostic));
    Json stages = Json::array();
    for (const auto& stage : status.stages) {
      stages.push_back({{"name", stage.id}, {"kind", manifest::StageKindName(stage.kind)}});
    }
    branches.push_back({{"name", status.branch.name},
                        {"commit", status.branch.commit},
                        {"subject", status.branch.subject},
                        {"author", status.branch.author_name},
                        {"committed_at", TimeView(status.branch.commit_time)},
                        {"manifest", {{"state", projects::ManifestStateName(status.manifest)},
                                      {"diagnostics", diagnostics},
                                      {"stages", stages}}}});
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
                 list.push_back(ProjectView(services, project));
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
               Audit(services, context,
                     events::AboutProject(project, events::kProjectCreated,
                                          request.source.empty()
                                              ? std::string("created (hosted)")
                                              : "created from " + request.source,
                                          {{"source", request.source}}));
               return JsonResponse(201,
                                   DetailsView(services, TRY(services.projects.Describe(project))));
             });

  router.Add("GET", "/api/v1/projects/{project}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               return JsonResponse(200,
                                   DetailsView(services, TRY(services.projects.Describe(project))));
             });

  router.Add("POST", "/api/v1/projects/{project}/refresh", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               TRY(services.projects.Refresh(project));
               project = TRY(services.projects.Find(project.name, context.principal->user));
               return JsonResponse(200,
                                   DetailsView(services, TRY(services.projects.Describe(project))));
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
               Audit(services, context,
                     events::AboutProject(project, events::kProjectDeleted, "deleted"));
               return http::Response{.status = 204};
             });

  // Settings owners change: the branch protection of pushes over SSH, preview deployments.
  router.Add("PATCH", "/api/v1/projects/{project}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"protected_branches", "deny_force_push",
                                              "deny_delete", "previews"}));
               auto branches = TRY(OptionalBranchList(body, "protected_branches"));
               auto deny_force_push = TRY(OptionalBool(body, "deny_force_push"));
               auto deny_delete = TRY(OptionalBool(body, "deny_delete"));
               auto previews = TRY(OptionalPreviews(body, project));
               // First: it is the one change that can be refused after reading the body.
               if (previews) {
                 if (services.previews == nullptr) {
                   return Unexpected(ErrorCode::kFailedPrecondition,
                                     "preview deployments are not available on this server");
                 }
                 TRY(services.previews->Configure(project, *previews, context.principal->user));
               }
               store::ProjectStore store(services.db, services.clock);
               TRY(store.SetProtection(project.id, branches.value_or(project.protected_branches),
                                       deny_force_push.value_or(project.deny_force_push),
                                       deny_delete.value_or(project.deny_delete)));
               project = TRY(services.projects.Find(project.name, context.principal->user));
               return JsonResponse(200,
                                   DetailsView(services, TRY(services.projects.Describe(project))));
             });

  router.Add("GET", "/api/v1/projects/{project}/members", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               store::ProjectStore store(services.db, services.clock);
               return JsonResponse(200, MembersView(TRY(store.ListMembers(project.id))));
             });

  // Adds a member, or changes a member's role: 201 for a new member, 200 for a change.
  router.Add("POST", "/api/v1/projects/{project}/members", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"user", "role"}));
               std::string name = TRY(RequiredString(body, "user"));
               store::MemberRole role = TRY(
                   store::ParseMemberRole(TRY(OptionalString(body, "role")).value_or("member")));
               auto user = services.users.FindByName(name);
               if (!user) {
                 if (user.error().code != ErrorCode::kNotFound) return Unexpected(user.error());
                 return Unexpected(ErrorCode::kNotFound, fmt::format("no user named '{}'", name));
               }
               store::ProjectStore store(services.db, services.clock);
               bool added = TRY_CTX(store.AddMember(project.id, user->id, role),
                                    fmt::format("cannot make '{}' {}", name,
                                                role == store::MemberRole::kOwner ? "an owner"
                                                                                  : "a member"));
               Audit(services, context,
                     events::AboutProject(project,
                                          added ? events::kMemberAdded : events::kMemberChanged,
                                          fmt::format("{} is {}", name,
                                                      store::MemberRoleName(role)),
                                          {{"user", name},
                                           {"role", store::MemberRoleName(role)}}));
               for (const auto& member : TRY(store.ListMembers(project.id))) {
                 if (member.user_id == user->id) {
                   return JsonResponse(added ? 201 : 200, MemberView(member));
                 }
               }
               return Unexpected(ErrorCode::kInternal, "the member just added is missing");
             });

  router.Add("DELETE", "/api/v1/projects/{project}/members/{user}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               const std::string& name = context.Param("user");
               auto user = services.users.FindByName(name);
               store::ProjectStore store(services.db, services.clock);
               std::optional<store::MemberRole> role;
               if (user) role = TRY(store.RoleOf(project.id, user->id));
               if (!role) {
                 return Unexpected(ErrorCode::kNotFound,
                                   fmt::format("'{}' is not a member of '{}'", name, project.name));
               }
               TRY_CTX(store.RemoveMember(project.id, user->id),
                       fmt::format("cannot remove '{}'", name));
               Audit(services, context,
                     events::AboutProject(project, events::kMemberRemoved,
                                          fmt::format("{} is no longer a member", name),
                                          {{"user", name}}));
               return http::Response{.status = 204};
             });

  router.Add("GET", "/api/v1/projects/{project}/pushes", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               int limit = TRY(LimitParameter(context.request));
               store::PushEventStore pushes(services.db, services.clock);
               Json list = Json::array();
               for (const auto& event : TRY(pushes.List(project.id, limit))) {
                 list.push_back(PushEventView(event));
               }
               return JsonResponse(200, {{"pushes", list}});
             });
}

}  // namespace yard::api
