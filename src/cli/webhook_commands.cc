// `yard projects webhook PROJECT`: the URL and secret to give GitHub, GitLab, Gitea or
// Forgejo, so that a push there refreshes the mirror at once (docs/webhooks.md).

#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

struct WebhookFlags {
  std::string project;
  bool enable = false;
  bool rotate = false;
  bool disable = false;
  std::string public_url;
};

std::string WebhookPath(const std::string& project) {
  return "/api/v1/projects/" + http::PercentEncode(project) + "/webhook";
}

// Where senders post to: the server's address as they reach it, then the path.
std::string WebhookUrl(const std::string& base, const Json& view) {
  std::string url = base;
  while (url.ends_with("/")) url.pop_back();
  return url + Cell(view, "path");
}

void PrintView(const std::string& project, const Json& view, const std::string& url) {
  if (!view.value("enabled", false)) {
    std::printf("Webhooks of %s are off. Turn them on with `yard projects webhook %s --enable`.\n",
                project.c_str(), project.c_str());
    return;
  }
  std::printf("Webhooks of %s are on.\n", project.c_str());
  std::printf("  URL     %s\n", url.c_str());
  std::printf("  secret  %s\n", Cell(view, "secret").c_str());
  std::printf("  events  push (others are acknowledged and ignored)\n");
  if (url.starts_with("unix://")) {
    std::printf("\nThe server was reached over a unix socket: give --public-url with the address "
                "senders reach it at.\n");
  }
  for (const Json& sender : view.value("senders", Json::array())) {
    std::printf("\n%s: %s\n", Cell(sender, "name").c_str(), Cell(sender, "where").c_str());
    size_t width = 0;
    for (const Json& field : sender["fields"]) width = std::max(width, Cell(field, "label").size());
    for (const Json& field : sender["fields"]) {
      std::string value = Cell(field, "key") == "url" ? url : Cell(field, "value");
      std::printf("  %-*s  %s\n", static_cast<int>(width), Cell(field, "label").c_str(),
                  value.c_str());
    }
  }
}

Status ShowWebhook(Invocation& invocation, const WebhookFlags& flags) {
  if (!flags.public_url.empty() && !flags.public_url.starts_with("https://") &&
      !flags.public_url.starts_with("http://")) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("--public-url '{}' must start with https:// or http://",
                                  flags.public_url));
  }
  ApiClient client = TRY(Connect(invocation));
  std::string path = WebhookPath(flags.project);
  Json view = TRY(client.Get(path));
  bool changed = false;
  if (flags.disable) {
    if (view.value("enabled", false)) {
      TRY(client.Delete(path + "/secret"));
      view = TRY(client.Get(path));
      changed = true;
    }
  } else if (flags.rotate || (flags.enable && !view.value("enabled", false))) {
    // --enable keeps a secret that is already in use: only --rotate replaces it, since the
    // senders that have the old one stop being accepted at once.
    view = TRY(client.Post(path + "/secret", Json::object()));
    changed = true;
  }
  std::string url =
      WebhookUrl(flags.public_url.empty() ? client.server() : flags.public_url, view);
  if (invocation.json) {
    view["url"] = url;
    PrintJson(view);
    return Ok();
  }
  if (changed && flags.rotate) {
    std::printf("New secret made: senders that have the old one are refused from now on.\n\n");
  } else if (flags.enable && !changed) {
    std::printf("Webhooks were on already; the secret is unchanged (--rotate makes a new one).\n\n");
  }
  PrintView(flags.project, view, url);
  return Ok();
}

}  // namespace

void AddWebhookCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* projects = app.get_subcommand("projects");
  auto flags = std::make_shared<WebhookFlags>();
  auto* webhook = projects->add_subcommand(
      "webhook",
      "Show, turn on, rotate or turn off the webhook that lets GitHub, GitLab, Gitea or Forgejo "
      "announce pushes (owners and admins)");
  webhook->footer(
      "A push announced by a webhook refreshes the project's mirror at once (instead of at the "
      "next periodic refresh), and deployments that follow the pushed branch take the new "
      "commit.\n"
      "\n"
      "Turn it on with --enable, then, in the repository's settings on the remote:\n"
      "  GitHub:          Settings > Webhooks > Add webhook. Payload URL: the URL shown here;\n"
      "                   Content type: application/json; Secret: the secret shown here;\n"
      "                   Which events: Just the push event.\n"
      "  GitLab:          Settings > Webhooks > Add new webhook. URL: the URL; Secret token:\n"
      "                   the secret; Trigger: Push events.\n"
      "  Gitea / Forgejo: Settings > Webhooks > Add webhook > Gitea (or Forgejo). Target URL:\n"
      "                   the URL; HTTP method: POST; POST content type: application/json;\n"
      "                   Secret: the secret; Trigger on: Push events.\n"
      "The sender must reach the URL: when it reaches the server at another address than this "
      "client does (a proxy, a public name), give that address with --public-url. Use the "
      "sender's \"test\" or \"redeliver\" button to check: a ping is answered 200, a push 202.\n"
      "\n"
      "Examples:\n"
      "  yard projects webhook shop --enable --public-url https://yard.example.com\n"
      "  yard projects webhook shop --rotate\n"
      "  yard projects webhook shop --disable");
  webhook->add_option("project", flags->project, "A mirrored project")->required();
  auto* enable = webhook->add_flag("--enable", flags->enable,
                                   "Turn webhooks on with a new secret (kept if already on)");
  auto* rotate = webhook->add_flag(
      "--rotate", flags->rotate,
      "Replace the secret (turning webhooks on); the old one is refused from now on");
  auto* disable = webhook->add_flag("--disable", flags->disable,
                                    "Turn webhooks off: every delivery is refused");
  enable->excludes(rotate)->excludes(disable);
  rotate->excludes(disable);
  webhook->add_option("--public-url", flags->public_url,
                      "The server's address as senders reach it, e.g. https://yard.example.com "
                      "(default: the server this client talks to)");
  webhook->callback(
      [&invocation, flags] { invocation.status = ShowWebhook(invocation, *flags); });
}

}  // namespace yard::cli
