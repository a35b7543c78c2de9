// `yard logs PROJECT/DEPLOYMENT [SERVICE...]`: a deployment's kept logs (docs/logs.md), also
// of containers that were replaced or crashed, with -f to follow them live.

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

struct LogFlags {
  std::string target;
  std::vector<std::string> services;
  bool follow = false;
  int tail = -1;  // -1: all
  std::string since;
  std::string until;
  bool previous = false;
  bool timestamps = false;
  std::string grep;
};

std::string LogsPath(const DeploymentTarget& target, const LogFlags& flags) {
  std::vector<std::string> query;
  if (!flags.services.empty()) {
    std::string list;
    for (const std::string& service : flags.services) list += (list.empty() ? "" : ",") + service;
    query.push_back("service=" + http::PercentEncode(list));
  }
  if (flags.tail >= 0) query.push_back(fmt::format("tail={}", flags.tail));
  if (!flags.since.empty()) query.push_back("since=" + http::PercentEncode(flags.since));
  if (!flags.until.empty()) query.push_back("until=" + http::PercentEncode(flags.until));
  if (!flags.grep.empty()) query.push_back("grep=" + http::PercentEncode(flags.grep));
  if (flags.previous) query.push_back("previous=1");
  if (flags.follow) query.push_back("follow=1");
  std::string path = DeploymentPath(target) + "/logs";
  for (size_t i = 0; i < query.size(); ++i) path += (i == 0 ? "?" : "&") + query[i];
  return path;
}

// Prints one line: stdout lines to stdout, stderr lines to stderr, as the container wrote
// them; prefixed with the service when several are shown, and with the time on request.
class LinePrinter {
 public:
  LinePrinter(const LogFlags& flags, bool json) : flags_(flags), json_(json) {}

  void operator()(const Json& line) {
    if (json_) {
      std::string text = line.dump() + "\n";
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return;
    }
    std::string service = line.value("service", "");
    std::string out;
    if (flags_.timestamps) out += line.value("time", "") + " ";
    if (flags_.services.size() != 1) out += fmt::format("{:<10} | ", service);
    out += line.value("text", "");
    out += '\n';
    std::FILE* stream = line.value("stream", "") == "stderr" ? stderr : stdout;
    std::fwrite(out.data(), 1, out.size(), stream);
    std::fflush(stream);
  }

 private:
  const LogFlags& flags_;
  bool json_;
};

Status Logs(Invocation& invocation, const LogFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  LinePrinter print(flags, invocation.json);
  std::string path = LogsPath(target, flags);
  if (flags.follow) return client.StreamLines(path, print);
  Json answer = TRY(client.Get(path));
  for (const Json& line : answer["lines"]) print(line);
  return Ok();
}

}  // namespace

void AddLogCommands(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<LogFlags>();
  auto* logs = app.add_subcommand(
      "logs",
      "Print a deployment's logs: every line its containers wrote, kept by the server, also "
      "after a container was replaced, crashed or the server restarted. Lines a container "
      "wrote to stderr go to stderr. --json prints one JSON object per line");
  logs->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/dev")->required();
  logs->add_option("services", flags->services,
                   "Only these components or add-ons (default: all, each line prefixed with "
                   "its service)");
  logs->add_flag("-f,--follow", flags->follow, "Keep printing new lines as they are written");
  logs->add_option("-n,--tail", flags->tail, "Only the last N lines (default: all kept)")
      ->check(CLI::Range(0, 100000));
  logs->add_option("--since", flags->since,
                   "Lines from then on: a duration ago (10m, 2h, 1d), an RFC 3339 time "
                   "(2026-11-27T14:00:00Z), a date or Unix seconds");
  logs->add_option("--until", flags->until, "Lines before then (same forms as --since)");
  logs->add_flag("-p,--previous", flags->previous,
                 "The container each service ran before its current one (after a crash or a "
                 "restart)");
  logs->add_flag("-t,--timestamps", flags->timestamps, "Show each line's time (RFC 3339, UTC)");
  logs->add_option("--grep", flags->grep, "Only lines containing this text (case-sensitive)");
  logs->callback([&invocation, flags] { invocation.status = Logs(invocation, *flags); });
}

}  // namespace yard::cli
