// `yard deployments clone PROJECT/SOURCE NAME [--stage S] [--size …] [--wait]`: a new
// deployment made from SOURCE with its data (docs/deployments.md "Cloning"). Follows the copy,
// printing bytes and percent, then (--wait) the clone's start.

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "cli/size_flags.h"

namespace yard::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct CloneFlags {
  std::string source;
  std::string name;
  std::string stage;
  SizeFlags size;
  bool wait = false;
  int timeout = 1800;
};

std::string Bytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  const char* unit = "KiB";
  for (const char* next : {"MiB", "GiB", "TiB"}) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return fmt::format("{:.1f} {}", value, unit);
}

Unexpected TimedOut(const DeploymentTarget& target, int seconds, const std::string& now) {
  return Unexpected(ErrorCode::kTimeout,
                    fmt::format("{}/{} is not ready after {} s (now {}); `yard deployments show "
                                "{}/{}` tells more",
                                target.project, target.deployment, seconds, now, target.project,
                                target.deployment));
}

// Polls the copy until it is done or failed; progress on stderr (one line, redrawn on a
// terminal). Returns the last progress.
Result<Json> FollowCopy(ApiClient& client, const DeploymentTarget& target,
                        Clock::time_point deadline, int timeout, bool quiet) {
  bool terminal = ::isatty(STDERR_FILENO);
  std::string last;
  while (true) {
    Json progress = TRY(client.Get(DeploymentPath(target) + "/clone"));
    std::string state = Cell(progress, "state");
    std::string line =
        fmt::format("copying the volumes of {}: {} of {} ({}%)", Cell(progress, "source"),
                    Bytes(progress.value("bytes_done", int64_t{0})),
                    Bytes(progress.value("bytes_total", int64_t{0})), progress.value("percent", 0));
    if (!quiet && line != last) {
      std::fprintf(stderr, terminal ? "\r  %s\033[K" : "  %s\n", line.c_str());
      std::fflush(stderr);
    }
    last = line;
    if (state != "copying") {
      if (!quiet && terminal) std::fprintf(stderr, "\n");
      if (state == "failed") {
        return Unexpected(
            ErrorCode::kFailedPrecondition,
            fmt::format("the clone failed and was removed: {}", Cell(progress, "error")));
      }
      return progress;
    }
    if (Clock::now() > deadline) return TimedOut(target, timeout, line);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// Polls the clone until it runs and is healthy, or has failed.
Result<Json> WaitHealthy(ApiClient& client, const DeploymentTarget& target,
                         Clock::time_point deadline, int timeout, bool quiet) {
  std::string last;
  while (true) {
    Json d = TRY(client.Get(DeploymentPath(target)));
    const Json& status = d["status"];
    std::string phase = Cell(status, "phase");
    std::string line = phase;
    if (!status["reasons"].empty()) line += ": " + status["reasons"][0].get<std::string>();
    if (!quiet && line != last) std::fprintf(stderr, "  %s\n", line.c_str());
    last = line;
    bool current = status.value("observed_version", int64_t{0}) >= d.value("version", int64_t{0});
    if (current && phase == "running" && Cell(status, "colour") == "green") return d;
    const Json& build = status.value("build", Json());
    bool build_failed = build.is_object() &&
                        (Cell(build, "state") == "failed" || Cell(build, "state") == "cancelled");
    if (current && (phase == "failed" || build_failed)) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{}/{} failed: {}", target.project, target.deployment, line));
    }
    if (Clock::now() > deadline) return TimedOut(target, timeout, line);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Status Clone(Invocation& invocation, const CloneFlags& flags) {
  DeploymentTarget source = TRY(ParseDeploymentTarget(flags.source));
  DeploymentTarget target{source.project, flags.name};
  if (size_t slash = flags.name.find('/'); slash != std::string::npos) {
    // PROJECT/NAME is accepted for symmetry, within the source's project only.
    target = TRY(ParseDeploymentTarget(flags.name));
    if (target.project != source.project) {
      return Unexpected(ErrorCode::kUsage,
                        fmt::format("a clone stays in its source's project '{}'", source.project));
    }
  }
  Json body = {{"name", target.deployment}};
  if (!flags.stage.empty()) body["stage"] = flags.stage;
  if (Json size = SizeBody(flags.size); !size.empty()) body["size"] = size;
  ApiClient client = TRY(Connect(invocation));
  auto deadline = Clock::now() + std::chrono::seconds(flags.timeout);
  Json d = TRY(client.Post(DeploymentPath(source) + "/clone", body));
  if (!invocation.json) {
    std::fprintf(stderr, "Cloning %s/%s into %s/%s (stage %s)…\n", source.project.c_str(),
                 source.deployment.c_str(), target.project.c_str(), target.deployment.c_str(),
                 Cell(d, "stage").c_str());
  }
  Json progress = TRY(FollowCopy(client, target, deadline, flags.timeout, invocation.json));
  if (flags.wait) {
    if (!invocation.json)
      std::fprintf(stderr, "Waiting for %s/%s…\n", target.project.c_str(),
                   target.deployment.c_str());
    d = TRY(WaitHealthy(client, target, deadline, flags.timeout, invocation.json));
  } else {
    d = TRY(client.Get(DeploymentPath(target)));
  }
  d["clone"] = progress;
  if (invocation.json) {
    PrintJson(d);
    return Ok();
  }
  std::printf(
      "Cloned %s/%s into %s/%s: %s copied%s.\n", source.project.c_str(), source.deployment.c_str(),
      target.project.c_str(), target.deployment.c_str(),
      Bytes(progress.value("bytes_total", int64_t{0})).c_str(),
      progress.value("reflinks", false) ? " (reflinks: no space used until either changes)" : "");
  if (flags.wait) {
    std::printf("It is running and healthy; `yard deployments show %s/%s` shows it.\n",
                target.project.c_str(), target.deployment.c_str());
  } else {
    std::printf("It is starting; `yard deployments show %s/%s --wait` waits for it.\n",
                target.project.c_str(), target.deployment.c_str());
  }
  return Ok();
}

}  // namespace

void AddCloneCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* deployments = app.get_subcommand("deployments");
  auto flags = std::make_shared<CloneFlags>();
  auto* clone = deployments->add_subcommand(
      "clone",
      "Clone a deployment into a new one with its data: configuration, params, env overrides, "
      "generated secrets, the code volume with uncommitted changes and every add-on's data. "
      "Stateful containers of the source are paused only while their volumes are copied; "
      "copies are reflinks where the filesystem allows (XFS, btrfs). Progress goes to stderr");
  clone->add_option("source", flags->source, "PROJECT/DEPLOYMENT to copy, e.g. shop/prod")
      ->required();
  clone->add_option("name", flags->name, "The new deployment's name, e.g. prod-copy")->required();
  clone->add_option("--stage", flags->stage,
                    "A stage for the copy (default: the source's), e.g. development for a "
                    "development copy of production");
  AddSizeOptions(clone, flags->size, "the source's");
  clone->add_flag("--wait", flags->wait,
                  "After the copy, wait until every service of the clone is running and "
                  "healthy");
  clone->add_option("--timeout", flags->timeout, "Seconds to wait at most, copy included")
      ->capture_default_str();
  clone->callback([&invocation, flags] { invocation.status = Clone(invocation, *flags); });
}

}  // namespace yard::cli
