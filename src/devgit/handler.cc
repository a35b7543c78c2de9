#include "devgit/handler.h"

#include <fmt/core.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/names.h"
#include "devgit/basic_auth.h"
#include "git/hooks.h"
#include "git/http_backend.h"
#include "git/remote_url.h"
#include "git/service_command.h"

namespace yard::devgit {
namespace {

http::Response Text(int status, const std::string& message) {
  // git shows a text/plain body of an error to its user, each line as "remote: ...".
  return http::Response{.status = status,
                        .content_type = "text/plain; charset=utf-8",
                        .body = message + "\n"};
}

http::Response Unauthorized() {
  http::Response response =
      Text(401, "this URL takes the credential of a development deployment of its project");
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Stackyard\"");
  return response;
}

http::Response NoSuchProject(const std::string& name) {
  return Text(404, fmt::format("no project named '{}' for this credential", name));
}

}  // namespace

http::Response Handler::Handle(const http::Request& request) {
  // /PROJECT.git/SERVICE_PATH
  size_t suffix = request.path.find(".git/");
  if (!request.path.starts_with('/') || suffix == std::string::npos) {
    return Text(404, "not found: the URL is http://HOST:PORT/PROJECT.git");
  }
  std::string project_name = request.path.substr(1, suffix - 1);
  std::string service_path = request.path.substr(suffix + 4);
  if (!ValidateName(project_name, "project")) return NoSuchProject(project_name);
  auto service = request.query.find("service");
  std::string query = service == request.query.end() ? "" : "service=" + service->second;
  if (!git::IsSmartHttpPath(request.method, service_path, query)) {
    return Text(404, "not found: only Git's smart HTTP protocol is served here");
  }

  auto credentials = ParseBasicAuthorization(request.Header("authorization"));
  if (!credentials) return Unauthorized();
  // "DEPLOYMENT.PROJECT": names hold no dots.
  size_t dot = credentials->user.find('.');
  if (dot == std::string::npos) return Unauthorized();
  std::string deployment_name = credentials->user.substr(0, dot);
  if (credentials->user.substr(dot + 1) != project_name) return NoSuchProject(project_name);
  auto project = stores_.projects.FindByName(project_name);
  if (!project) {
    if (project.error().code != ErrorCode::kNotFound) {
      log::Error("git over HTTP: {}", project.error().message);
      return Text(500, "the server cannot read its store; try again");
    }
    return NoSuchProject(project_name);
  }
  auto deployment = stores_.deployments.FindByName(project->id, deployment_name);
  if (!deployment || deployment->desired == store::Desired::kDeleted ||
      !credentials_.Verify(*deployment, credentials->password)) {
    return Unauthorized();
  }

  bool push = git::IsReceivePack(service_path, query);
  if (push && project->source_kind != store::SourceKind::kHosted) {
    return Text(403, fmt::format("project {} mirrors {}: push there, then `yard projects "
                                 "refresh {}`",
                                 project->name, git::RedactUrl(project->source_url),
                                 project->name));
  }
  // A push is its creator's: the deployment acts for whoever made it.
  auto creator = stores_.users.Get(deployment->created_by);
  if (push && !creator) {
    return Text(403, fmt::format("the user who created {} no longer exists: push over SSH "
                                 "with your own key instead",
                                 Credentials::UserName(*deployment)));
  }

  // Passed on to git only in the one form git sends.
  const std::string& asked = request.Header("git-protocol");
  std::string git_protocol = git::IsGitProtocolRequest(asked) ? asked : "";
  git::HttpBackendRequest backend{.method = request.method,
                                  .service_path = service_path,
                                  .query = query,
                                  .content_type = request.Header("content-type"),
                                  .content_encoding = request.Header("content-encoding"),
                                  .git_protocol = git_protocol,
                                  .body = request.body,
                                  .remote_user = Credentials::UserName(*deployment),
                                  .remote_addr = request.remote};
  git::HttpBackendOptions options;
  options.config = {"http.receivepack=" + std::string(push ? "true" : "false")};
  std::optional<projects::PushContext> report;
  if (push && request.method == "POST") {
    auto path = projects::MakePushReport(options_.reports_dir, project->name, creator->id);
    if (!path) {
      log::Error("git over HTTP: {}", path.error().message);
      return Text(500, "the server cannot record a push now; try again");
    }
    report = projects::PushContext{
        .pushes = &stores_.pushes,
        .pushed = &options_.pushed,
        .project_id = project->id,
        .project = project->name,
        .repo_path = project->repo_path,
        .user_id = creator->id,
        .user_name = fmt::format("{} (from {})", creator->name, Credentials::UserName(*deployment)),
        .report_path = *path};
    // Command-line config beats the repository's own: no hooks but ours can run.
    options.config.push_back("core.hooksPath=" + options_.hooks_dir);
    git::BranchProtection protection{.patterns = project->protected_branches,
                                     .deny_force_push = project->deny_force_push,
                                     .deny_delete = project->deny_delete};
    options.env = git::ProtectionEnvironment(protection, project->name);
    options.env[git::kPushReportVariable] = report->report_path;
  }
  auto answer = git::RunHttpBackend(project->repo_path, backend, options);
  // The report lists only refs git has updated: they are recorded whatever became of the rest.
  if (report) projects::RecordPushReport(*report);
  if (!answer) {
    log::Warn("git over HTTP for {}: {}", Credentials::UserName(*deployment),
              answer.error().message);
    return Text(answer.error().code == ErrorCode::kTooLarge ? 413 : 500,
                answer.error().message);
  }
  return http::Response{.status = answer->status,
                        .content_type = answer->content_type,
                        .headers = std::move(answer->headers),
                        .body = std::move(answer->body)};
}

}  // namespace yard::devgit
