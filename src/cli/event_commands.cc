// `yard events [PROJECT[/DEPLOYMENT]]`: what happened, who did it and when (docs/events.md),
// with -f to follow new events as they happen.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

struct EventFlags {
  std::string target;  // "", PROJECT or PROJECT/DEPLOYMENT
  bool follow = false;
  int limit = 0;  // 0: the server's default
  std::string since;
  std::string kind;
};

Result<std::string> EventsPath(const EventFlags& flags) {
  std::string path = "/api/v1/events";
  std::vector<std::string> query;
  if (flags.target.find('/') != std::string::npos) {
    path = DeploymentPath(TRY(ParseDeploymentTarget(flags.target))) + "/events";
  } else if (!flags.target.empty()) {
    query.push_back("project=" + http::PercentEncode(flags.target));
  }
  if (flags.limit > 0) query.push_back(fmt::format("limit={}", flags.limit));
  if (!flags.since.empty()) query.push_back("since=" + http::PercentEncode(flags.since));
  if (!flags.kind.empty()) query.push_back("kind=" + http::PercentEncode(flags.kind));
  if (flags.follow) query.push_back("follow=1");
  for (size_t i = 0; i < query.size(); ++i) path += (i == 0 ? "?" : "&") + query[i];
  return path;
}

// One event a line: time (UTC, to the second), who, kind, what it is about, message.
void PrintEvent(const Json& event, bool json) {
  std::string out;
  if (json) {
    out = event.dump() + "\n";
  } else {
    // Null (or absent) names: the platform did it, or it is about the installation.
    auto name = [&](const char* field) {
      Json value = event.value(field, Json());
      return value.is_string() ? value.get<std::string>() : std::string();
    };
    std::string at = event.value("at", "");
    if (at.size() > 19) at = at.substr(0, 19) + "Z";
    std::string actor = name("actor").empty() ? "stackyard" : name("actor");
    std::string target = name("project").empty() ? "-" : name("project");
    if (!name("deployment").empty()) target += "/" + name("deployment");
    out = fmt::format("{}  {:<10} {:<26} {:<18} {}\n", at, actor, event.value("kind", ""), target,
                      event.value("message", ""));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

Status Events(Invocation& invocation, const EventFlags& flags) {
  std::string path = TRY(EventsPath(flags));
  ApiClient client = TRY(Connect(invocation));
  if (flags.follow) {
    return client.StreamLines(path, [&](const Json& event) { PrintEvent(event, invocation.json); });
  }
  Json answer = TRY(client.Get(path));
  if (invocation.json) {
    PrintJson(answer);
    return Ok();
  }
  Json events = answer.value("events", Json::array());
  if (events.empty()) std::printf("No events.\n");
  for (const Json& event : events) PrintEvent(event, false);
  return Ok();
}

}  // namespace

void AddEventCommands(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<EventFlags>();
  auto* events = app.add_subcommand(
      "events",
      "Show what happened and who did it: actions people took (create, stop, rollback, "
      "members, tokens), pushes, builds, rollouts and status changes, oldest first. Without a "
      "target, every project you are a member of (admins: everything). The platform's own "
      "events show \"stackyard\" as who. --json prints the API's document, or one JSON object "
      "per line with -f");
  events->add_option("target", flags->target,
                     "PROJECT or PROJECT/DEPLOYMENT, e.g. shop or shop/dev (a deleted "
                     "deployment's history is there too)");
  events->add_flag("-f,--follow", flags->follow, "Keep printing new events as they happen");
  events->add_option("-n,--limit", flags->limit, "Only the last N events (default: 100)")
      ->check(CLI::Range(1, 10000));
  events->add_option("--since", flags->since,
                     "Events from then on: a duration ago (10m, 2h, 7d), an RFC 3339 time "
                     "(2026-11-27T14:00:00Z), a date or Unix seconds");
  events->add_option("--kind", flags->kind,
                     "Only kinds starting with this, e.g. build, deployment.phase, "
                     "deployment.stopped (docs/events.md lists them)");
  events->callback([&invocation, flags] { invocation.status = Events(invocation, *flags); });
}

}  // namespace yard::cli
