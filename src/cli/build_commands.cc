// `yard builds ...`: a deployment's builds: list, show, logs (`-f` follows a live build to
// its end), cancel. Also `yard deployments builds` and `build-log`, the former names, kept
// hidden so that scripts written for them still work.

#include <time.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"

namespace yard::cli {
namespace {

/// How long the server may hold a log request of `logs -f` when there is nothing new. Short,
/// so that a server stopping does not wait long for a follower.
constexpr int kFollowWaitSeconds = 5;
/// Before asking again when an answer brought nothing (the server did not wait: too many
/// followers).
constexpr auto kFollowPause = std::chrono::milliseconds(500);

struct BuildFlags {
  std::string target;
  int64_t build = 0;  // 0: the newest
  int limit = 20;
  bool follow = false;
};

long long LongLong(int64_t value) { return static_cast<long long>(value); }

std::string Short(const Json& commit) {
  return commit.is_string() ? commit.get<std::string>().substr(0, 12) : "-";
}

// An RFC 3339 time as the API writes it ("2026-11-26T23:30:57Z"), in Unix seconds.
std::optional<int64_t> UnixTime(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  struct tm parts {};
  const char* end =
      ::strptime(value.get_ref<const std::string&>().c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(::timegm(&parts));
}

std::string Duration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
}

// How long the build took, or has been running ("1m05s…").
std::string Took(const Json& build) {
  auto started = UnixTime(build["started_at"]);
  if (!started) return "-";
  if (auto finished = UnixTime(build["finished_at"])) return Duration(*finished - *started);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return Duration(now - *started) + "…";
}

// "queued (#2)": a queued build's place in the server's queue.
std::string State(const Json& build) {
  std::string state = Cell(build, "state");
  if (build.contains("queue_position") && build["queue_position"].is_number()) {
    state += fmt::format(" (#{})", build["queue_position"].get<int64_t>());
  }
  return state;
}

std::string BuildPath(const DeploymentTarget& target, int64_t build) {
  return fmt::format("{}/builds/{}", DeploymentPath(target), build);
}

Result<int64_t> NewestBuild(ApiClient& client, const DeploymentTarget& target) {
  Json listed = TRY(client.Get(DeploymentPath(target) + "/builds?limit=1"));
  if (listed["builds"].empty()) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("{}/{} has no builds yet", target.project, target.deployment));
  }
  return listed["builds"][0]["id"].get<int64_t>();
}

Status List(Invocation& invocation, const BuildFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json listed =
      TRY(client.Get(fmt::format("{}/builds?limit={}", DeploymentPath(target), flags.limit)));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"ID", "STATE", "COMMIT", "REASON", "BY", "QUEUED", "TOOK"});
  for (const Json& build : listed["builds"]) {
    std::string by = build["requested_by"].is_string() ? Cell(build, "requested_by") : "platform";
    table.AddRow({Cell(build, "id"), State(build), Short(build["commit"]), Cell(build, "reason"),
                  by, Cell(build, "queued_at"), Took(build)});
  }
  table.Print("No builds yet.");
  return Ok();
}

void PrintBuild(const DeploymentTarget& target, const Json& build) {
  std::printf("Build %s of %s/%s  %s\n", Cell(build, "id").c_str(), target.project.c_str(),
              target.deployment.c_str(), State(build).c_str());
  std::printf(
      "  commit %s · %s · requested by %s\n", Cell(build, "commit").c_str(),
      Cell(build, "reason").c_str(),
      build["requested_by"].is_string() ? Cell(build, "requested_by").c_str() : "the platform");
  std::printf("  queued %s · started %s · finished %s · took %s\n",
              Cell(build, "queued_at").c_str(), Cell(build, "started_at").c_str(),
              Cell(build, "finished_at").c_str(), Took(build).c_str());
  if (build["error"].is_string()) std::printf("  error: %s\n", Cell(build, "error").c_str());
  if (!build["images"].empty()) {
    std::printf("\n");
    Table images({"SERVICE", "IMAGE"});
    for (const auto& [service, image] : build["images"].items()) {
      images.AddRow({service, image.is_string() ? image.get<std::string>() : image.dump()});
    }
    images.Print("");
  }
  std::printf("\nLog: yard builds logs %s/%s %s\n", target.project.c_str(),
              target.deployment.c_str(), Cell(build, "id").c_str());
}

Status Show(Invocation& invocation, const BuildFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  int64_t id = flags.build != 0 ? flags.build : TRY(NewestBuild(client, target));
  Json shown = TRY(client.Get(BuildPath(target, id)));
  if (invocation.json) {
    PrintJson(shown);
  } else {
    PrintBuild(target, shown["build"]);
  }
  return Ok();
}

// How `logs` ends.
enum class LogMode {
  kNow,     // print the log as it is; fail if the build ended and did not succeed
  kFollow,  // print as the build writes until it ends; fail unless it succeeded
  kPlain,   // the former `deployments build-log`: print the log as it is, never fail
};

Status Logs(Invocation& invocation, const BuildFlags& flags, LogMode mode) {
  bool follow = mode == LogMode::kFollow;
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  int64_t id = flags.build != 0 ? flags.build : TRY(NewestBuild(client, target));
  // The server holds a follower's request for up to kFollowWaitSeconds.
  client.set_timeout(std::chrono::seconds(kFollowWaitSeconds + 30));
  std::string path = BuildPath(target, id) + "/log";
  int64_t offset = 0;
  std::string whole;  // --json: one document at the end
  std::string last_state;
  Json answer;
  while (true) {
    answer =
        TRY(client.Get(fmt::format("{}?offset={}{}", path, offset,
                                   follow ? fmt::format("&wait={}", kFollowWaitSeconds) : "")));
    const std::string& text = answer["log"].get_ref<const std::string&>();
    if (invocation.json) {
      whole += text;
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
    int64_t next = answer["offset"].get<int64_t>();
    bool more = next > offset;
    offset = next;
    if (follow && !invocation.json) {
      // Where the build stands, on stderr so that the log on stdout stays the log alone.
      std::string state = State(answer["build"]);
      if (state != last_state && !answer["finished"].get<bool>()) {
        std::fprintf(stderr, "build %lld: %s\n", LongLong(id), state.c_str());
      }
      last_state = state;
    }
    if (answer["finished"].get<bool>()) break;
    if (!follow && !more) break;  // the log as it is now, read to its end
    if (follow && !more) std::this_thread::sleep_for(kFollowPause);
  }
  if (invocation.json) {
    answer["log"] = whole;
    PrintJson(answer);
  }
  const Json& build = answer["build"];
  std::string state = Cell(build, "state");
  if (!answer["finished"].get<bool>()) {
    if (!invocation.json) {
      std::fprintf(stderr, "build %lld is %s; -f follows it to its end\n", LongLong(id),
                   State(build).c_str());
    }
    return Ok();
  }
  if (state == "succeeded" || mode == LogMode::kPlain) {
    if (follow && !invocation.json) std::fprintf(stderr, "build %lld succeeded\n", LongLong(id));
    return Ok();
  }
  return Unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("build {} {}{}", id, state,
                                build["error"].is_string() ? ": " + Cell(build, "error") : ""));
}

Status Cancel(Invocation& invocation, const BuildFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json answer = TRY(client.Post(BuildPath(target, flags.build) + "/cancel", Json::object()));
  if (invocation.json) {
    PrintJson(answer);
  } else if (Cell(answer["build"], "state") == "cancelled") {
    std::printf("Cancelled build %lld.\n", LongLong(flags.build));
  } else {
    std::printf("Stopping build %lld; the running version of %s/%s keeps serving.\n",
                LongLong(flags.build), target.project.c_str(), target.deployment.c_str());
  }
  return Ok();
}

}  // namespace

void AddBuildCommands(CLI::App& app, Invocation& invocation) {
  auto* builds = app.add_subcommand(
      "builds", "A deployment's builds: list them, read their logs (live with -f), cancel one");
  builds->require_subcommand(1);
  auto flags = std::make_shared<BuildFlags>();
  auto add_target = [&](CLI::App* command) {
    command->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/prod")
        ->required();
  };

  auto* list = builds->add_subcommand(
      "list", "List a deployment's builds, newest first, with why each was queued and by whom");
  add_target(list);
  list->add_option("--limit", flags->limit, "How many")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  list->callback([&invocation, flags] { invocation.status = List(invocation, *flags); });

  auto* show = builds->add_subcommand(
      "show", "Show a build: its state, commit, reason, times, error and images");
  add_target(show);
  show->add_option("build", flags->build, "The build id (default: the newest)");
  show->callback([&invocation, flags] { invocation.status = Show(invocation, *flags); });

  auto* logs = builds->add_subcommand(
      "logs",
      "Print a build's log (default: the newest build's); with -f, follow it live until the "
      "build ends. Exits non-zero for a build that ended without succeeding");
  add_target(logs);
  logs->add_option("build", flags->build, "The build id (default: the newest)");
  logs->add_flag("-f,--follow", flags->follow, "Keep printing as the build writes, to its end");
  logs->callback([&invocation, flags] {
    invocation.status = Logs(invocation, *flags, flags->follow ? LogMode::kFollow : LogMode::kNow);
  });

  auto* cancel = builds->add_subcommand(
      "cancel", "Cancel a queued build, or stop a running one; what runs now keeps running");
  add_target(cancel);
  cancel->add_option("build", flags->build, "The build id")->required();
  cancel->callback([&invocation, flags] { invocation.status = Cancel(invocation, *flags); });

  // The former names, under `yard deployments`, hidden.
  CLI::App* deployments = app.get_subcommand("deployments");
  auto* old_list = deployments->add_subcommand("builds", "Former name of `yard builds list`");
  old_list->group("");
  add_target(old_list);
  old_list->callback([&invocation, flags] { invocation.status = List(invocation, *flags); });
  auto* old_log = deployments->add_subcommand("build-log", "Former name of `yard builds logs`");
  old_log->group("");
  add_target(old_log);
  old_log->add_option("build", flags->build, "The build id (default: the newest)");
  old_log->callback(
      [&invocation, flags] { invocation.status = Logs(invocation, *flags, LogMode::kPlain); });
}

}  // namespace yard::cli
