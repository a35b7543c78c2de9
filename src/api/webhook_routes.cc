// Webhooks from GitHub, GitLab, Gitea and Forgejo (docs/webhooks.md): the public endpoint a
// push arrives at, and the owners' routes that show the secret, make a new one, or turn
// webhooks off.

#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "base/log.h"
#include "store/projects.h"
#include "store/webhooks.h"
#include "webhooks/delivery.h"
#include "webhooks/push.h"
#include "webhooks/signature.h"

namespace yard::api {
namespace {

// One answer for an unknown project, a project without webhooks and a wrong or missing
// signature, so that a caller without the secret learns nothing, not even which names exist.
Unexpected Refused() {
  return Unexpected(ErrorCode::kUnauthenticated,
                    "this webhook delivery is not accepted: check the URL, that webhooks are on "
                    "for the project, and the secret (`yard projects webhook PROJECT`)");
}

// Verified against when there is no secret to verify against, so that the refusal of an
// unknown project takes the same steps as that of a bad signature. Its outcome is ignored.
constexpr std::string_view kDecoySecret = "no webhooks here";

std::string WebhookPath(const std::string& project) {
  return "/api/v1/projects/" + http::PercentEncode(project) + "/webhook";
}

// Where each sender's webhook form is and what goes in its fields. "key" says what a value
// is: the CLI puts the full URL in place of "url", whose value here is only the path.
Json Field(const char* key, const char* label, const Json& value) {
  return Json{{"key", key}, {"label", label}, {"value", value}};
}

Json SendersView(const std::string& path, const std::string& secret) {
  Json secret_value = secret.empty() ? Json(nullptr) : Json(secret);
  return Json::array({
      {{"name", "GitHub"},
       {"where", "the repository's Settings > Webhooks > Add webhook"},
       {"fields", Json::array({Field("url", "Payload URL", path),
                               Field("content_type", "Content type", "application/json"),
                               Field("secret", "Secret", secret_value),
                               Field("events", "Which events", "Just the push event"),
                               Field("active", "Active", "checked")})}},
      {{"name", "GitLab"},
       {"where", "the project's Settings > Webhooks > Add new webhook"},
       {"fields", Json::array({Field("url", "URL", path),
                               Field("secret", "Secret token", secret_value),
                               Field("events", "Trigger", "Push events, all branches")})}},
      {{"name", "Gitea / Forgejo"},
       {"where", "the repository's Settings > Webhooks > Add webhook > Gitea (or Forgejo)"},
       {"fields", Json::array({Field("url", "Target URL", path),
                               Field("method", "HTTP method", "POST"),
                               Field("content_type", "POST content type", "application/json"),
                               Field("secret", "Secret", secret_value),
                               Field("events", "Trigger on", "Push events"),
                               Field("active", "Active", "checked")})}},
  });
}

Json WebhookView(const store::Project& project, const std::string& secret) {
  std::string path = WebhookPath(project.name);
  return Json{{"project", project.name},
              {"enabled", !secret.empty()},
              {"path", path},
              {"secret", secret.empty() ? Json(nullptr) : Json(secret)},
              {"content_type", "application/json"},
              {"events", Json::array({"push"})},
              {"senders", SendersView(path, secret)}};
}

Status RequireMirrored(const store::Project& project) {
  if (project.source_kind != store::SourceKind::kHosted) return Ok();
  return Unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("project '{}' is hosted: its code arrives by `git push` to "
                                "Stackyard, and there is no source to fetch; webhooks are for "
                                "projects mirrored from a Git URL",
                                project.name));
}

Result<http::Response> Receive(Services& services, const RouteContext& context) {
  const http::Request& request = context.request;
  std::optional<webhooks::Delivery> delivery = webhooks::Describe(request.headers, request.body);
  store::ProjectStore projects(services.db, services.clock);
  store::WebhookStore webhooks(services.db, services.clock);

  std::optional<store::Project> project;
  std::string secret;
  auto found = projects.FindByName(context.Param("project"));
  if (found) {
    project = std::move(*found);
    secret = TRY(webhooks.Secret(project->id));
  } else if (found.error().code != ErrorCode::kNotFound) {
    return Unexpected(found.error());
  }
  bool verified = webhooks::Verify(request.headers,
                                   delivery ? delivery->sender : webhooks::Sender::kGitHub,
                                   request.body, secret.empty() ? kDecoySecret : secret);
  if (!project || secret.empty() || !delivery || !verified) {
    // For the server's operator: why, for projects that exist (never the secret, never what
    // an unknown caller typed).
    if (project) {
      log::Info("webhook for project '{}' refused: {}", project->name,
                secret.empty() ? "webhooks are off"
                : !delivery    ? "no GitHub, GitLab, Gitea or Forgejo event header"
                               : fmt::format("the {} {} does not match",
                                             webhooks::SenderName(delivery->sender),
                                             delivery->sender == webhooks::Sender::kGitLab
                                                 ? "token"
                                                 : "signature"));
    }
    return Refused();
  }

  TRY(RequireMirrored(*project));
  if (!delivery->push) {
    log::Debug("webhook for project '{}': {} event '{}' ignored", project->name,
               webhooks::SenderName(delivery->sender), delivery->event);
    return JsonResponse(200, {{"status", "ignored"},
                              {"sender", webhooks::SenderName(delivery->sender)},
                              {"event", delivery->event}});
  }
  webhooks::Push push = TRY(webhooks::ParsePush(request.body));
  if (!TRY(webhooks.RecordDelivery(project->id, delivery->id))) {
    log::Info("webhook for project '{}': delivery {} seen before, ignored", project->name,
              delivery->id);
    return JsonResponse(200, {{"status", "duplicate"}, {"delivery", delivery->id}});
  }
  log::Info("webhook for project '{}': {} push to {} ({}..{}), delivery {}; refreshing",
            project->name, webhooks::SenderName(delivery->sender), push.ref,
            push.before.substr(0, 12), push.after.substr(0, 12), delivery->id);
  if (services.request_refresh) services.request_refresh(project->id);
  return JsonResponse(202, {{"status", "accepted"},
                            {"project", project->name},
                            {"sender", webhooks::SenderName(delivery->sender)},
                            {"delivery", delivery->id},
                            {"ref", push.ref},
                            {"before", push.before},
                            {"after", push.after},
                            {"deleted", push.deleted}});
}

}  // namespace

void AddWebhookRoutes(Router& router, Services& services) {
  // Public: the sender has no API token; the signature (or GitLab's token) is the credential.
  router.Add("POST", "/api/v1/projects/{project}/webhook", Access::kPublic,
             [&services](const RouteContext& context) { return Receive(services, context); });

  router.Add("GET", "/api/v1/projects/{project}/webhook", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               store::WebhookStore webhooks(services.db, services.clock);
               return JsonResponse(200, WebhookView(project, TRY(webhooks.Secret(project.id))));
             });

  // Turns webhooks on, or replaces the secret: the old one stops working at once.
  router.Add("POST", "/api/v1/projects/{project}/webhook/secret", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               TRY(RejectUnknownFields(TRY(ParseBody(context.request)), {}));
               TRY(RequireMirrored(project));
               std::string secret = TRY(webhooks::GenerateSecret());
               store::WebhookStore webhooks(services.db, services.clock);
               TRY(webhooks.SetSecret(project.id, secret));
               log::Info("webhooks of project '{}' turned on with a new secret by {}",
                         project.name, context.principal->user.name);
               return JsonResponse(200, WebhookView(project, secret));
             });

  router.Add("DELETE", "/api/v1/projects/{project}/webhook/secret", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project = TRY(
                   services.projects.FindAsOwner(context.Param("project"), context.principal->user));
               store::WebhookStore webhooks(services.db, services.clock);
               TRY(webhooks.ClearSecret(project.id));
               log::Info("webhooks of project '{}' turned off by {}", project.name,
                         context.principal->user.name);
               return http::Response{.status = 204};
             });
}

}  // namespace yard::api
