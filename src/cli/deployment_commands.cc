// `yard deployments ...`: create, list, show (the status tree), start, stop, restart,
// rebuild, delete, and what a deployment runs and follows: releases, rollback, promote, set.
// Deployments are named PROJECT/DEPLOYMENT. Builds: build_commands.cc.

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <thread>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "cli/size_flags.h"
#include "http/message.h"

namespace yard::cli {
namespace {

std::string Coloured(const std::string& text, const std::string& colour) {
  if (!::isatty(STDOUT_FILENO)) return text;
  const char* code = colour == "green" ? "32" : colour == "red" ? "31" : "33";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string Short(const Json& commit) {
  return commit.is_string() ? commit.get<std::string>().substr(0, 12) : "-";
}

void PrintDeployment(const Json& d) {
  const Json& status = d["status"];
  std::string colour = Cell(status, "colour");
  std::printf("Deployment %s/%s  %s\n", Cell(d, "project").c_str(), Cell(d, "name").c_str(),
              Coloured(fmt::format("● {} ({})", Cell(status, "phase"), colour), colour).c_str());
  std::printf("  stage %s · branch %s%s · commit %s\n", Cell(d, "stage").c_str(),
              Cell(d, "branch").c_str(),
              d.value("auto_deploy", true) ? "" : " (auto-deploy off: pushes do not deploy)",
              Short(d["commit"]).c_str());
  if (d.value("stop_at", Json()).is_string() && d.value("desired", "") == "running") {
    std::printf("  stops by itself at %s · `yard deployments enable --for` changes it\n",
                Cell(d, "stop_at").c_str());
  }
  if (const Json& preview = d.value("preview", Json()); preview.is_object()) {
    std::printf("  preview of %s · deleted with the branch, or at %s\n",
                Cell(preview, "branch").c_str(), Cell(preview, "expires_at").c_str());
  }
  // A diverged code volume is among the reasons already.
  if (status.contains("code") && status["code"].is_object() &&
      Cell(status["code"], "state") != "diverged") {
    std::printf("  code  %s\n", Cell(status["code"], "summary").c_str());
  }
  if (status.contains("build") && status["build"].is_object()) {
    const Json& build = status["build"];
    std::printf("  build %s %s · yard builds logs %s/%s %s\n", Cell(build, "id").c_str(),
                Cell(build, "state").c_str(), Cell(d, "project").c_str(),
                Cell(d, "name").c_str(), Cell(build, "id").c_str());
  }
  if (status.contains("primary") && status["primary"].is_string()) {
    // The service `yard ssh` reaches without a component, and how to get there.
    const Json& ssh = d.value("ssh", Json());
    std::printf("  primary %s%s\n", Cell(status, "primary").c_str(),
                ssh.is_object() ? (" · " + Cell(ssh, "command")).c_str() : "");
  }
  // Limits of each container (deployments/sizes.h); "unlimited" unless asked for.
  std::string size_name = Cell(d["size"], "name"), limits = Cell(d["size"], "description");
  std::printf("  size  %s\n", size_name == limits ? limits.c_str()
                                                  : (size_name + " (" + limits + ")").c_str());
  for (const Json& reason : status["reasons"]) {
    std::printf("  - %s\n", reason.get<std::string>().c_str());
  }
  if (d.contains("endpoints") && !d["endpoints"].empty()) {
    std::printf("\n");
    Table endpoints({"ENDPOINT", "URL", "CERTIFICATE"});
    for (const Json& endpoint : d["endpoints"]) {
      for (const Json& host : endpoint["hosts"]) {
        const Json& certificate = host["certificate"];
        std::string state = Cell(certificate, "state");
        if (state == "valid" || state == "expired") {
          state += " until " + Cell(certificate, "expires_at");
        } else if (state == "error") {
          state += ": " + Cell(certificate, "error");
        }
        endpoints.AddRow({Cell(endpoint, "id"), Cell(host, "url"), state});
      }
    }
    endpoints.Print("");
  }
  if (status["services"].empty()) return;
  std::printf("\n");
  Table table({"SERVICE", "KIND", "STATE", "HEALTH", "RESTARTS", "ADDRESS", "STARTED", "IMAGE"});
  for (const Json& service : status["services"]) {
    table.AddRow({Cell(service, "id"), Cell(service, "kind"), Cell(service, "state"),
                  Cell(service, "health"), Cell(service, "restarts"), Cell(service, "address"),
                  Cell(service, "started_at"), Cell(service, "image")});
  }
  table.Print("");
  for (const Json& service : status["services"]) {
    bool broken = !service["last_exit_code"].is_null() || !service["reason"].is_null();
    if (!broken || service["state"] == "running") continue;
    std::printf("\n%s: %s", Cell(service, "id").c_str(), Cell(service, "reason").c_str());
    if (!service["last_exit_code"].is_null()) {
      std::printf(" (last exit code %s)", service["last_exit_code"].dump().c_str());
    }
    std::printf("\n");
    for (const Json& line : service["last_log"]) {
      std::printf("  | %s\n", line.get<std::string>().c_str());
    }
  }
}

// Polls until the deployment is running and green, or has failed; progress on stderr.
Result<Json> Wait(ApiClient& client, const DeploymentTarget& target, std::chrono::seconds timeout,
                  bool quiet) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (true) {
    Json d = TRY(client.Get(DeploymentPath(target)));
    const Json& status = d["status"];
    std::string phase = Cell(status, "phase");
    std::string colour = Cell(status, "colour");
    std::string line = phase;
    if (!status["reasons"].empty()) line += ": " + status["reasons"][0].get<std::string>();
    if (!quiet && line != last) std::fprintf(stderr, "  %s\n", line.c_str());
    last = line;
    // The status must reflect this change, not the state before it.
    bool current = status.value("observed_version", int64_t{0}) >= d.value("version", int64_t{0});
    // Checked before health: a failed build leaves the previous version running, green.
    const Json& build = status.value("build", Json());
    std::string build_state = build.is_object() ? Cell(build, "state") : "";
    if (current && (build_state == "failed" || build_state == "cancelled")) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{}/{}: {}; `yard builds logs {}/{} {}` shows the build's "
                                    "log",
                                    target.project, target.deployment, line, target.project,
                                    target.deployment, Cell(build, "id")));
    }
    if (current && phase == "running" && colour == "green") return d;
    if (current && !status["rolled_back"].empty()) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{}/{}: {}", target.project, target.deployment,
                                    status["rolled_back"][0].get<std::string>()));
    }
    bool stuck = false;  // a failed install step waits for a restart: no use waiting
    for (const Json& service : status["services"]) stuck |= service.value("state", "") == "install-failed";
    if (current && (phase == "failed" || stuck)) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{}/{} failed: {}", target.project, target.deployment, line));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Unexpected(ErrorCode::kTimeout,
                        fmt::format("{}/{} is not healthy after {} s (now {}); `yard deployments "
                                    "show {}/{}` tells more",
                                    target.project, target.deployment, timeout.count(), line,
                                    target.project, target.deployment));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Result<std::map<std::string, std::string>> Pairs(const std::vector<std::string>& items,
                                                 const char* flag) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Unexpected(ErrorCode::kUsage,
                        fmt::format("{} '{}' is not KEY=VALUE", flag, item));
    }
    out[item.substr(0, equals)] = item.substr(equals + 1);
  }
  return out;
}

// A release number option: 1, 2, ... (CLI::PositiveNumber's message prints the largest double).
CLI::Validator ReleaseNumber() {
  auto check = [](std::string& text) -> std::string {
    int64_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size() || number < 1) {
      return fmt::format("'{}' is not a release number (1, 2, …); see `yard deployments "
                         "releases`",
                         text);
    }
    return "";
  };
  return CLI::Validator(check, "N");
}

struct Flags {
  std::string target;
  std::string project;
  std::string stage;
  std::string branch;
  std::vector<std::string> params;
  std::vector<std::string> env;
  SizeFlags size;
  std::string service;
  int64_t release = 0;      // rollback --to, promote --release; 0: the default one
  std::string source;       // promote: PROJECT/DEPLOYMENT
  std::string auto_deploy;  // set: "on", "off", or "" (unchanged)
  int limit = 20;
  bool wait = false;
  int timeout = 600;
  bool yes = false;
};

Status Finish(Invocation& invocation, ApiClient& client, const DeploymentTarget& target, Json d,
              const Flags& flags, const char* done) {
  if (flags.wait) {
    if (!invocation.json) std::fprintf(stderr, "Waiting for %s/%s…\n", target.project.c_str(),
                                       target.deployment.c_str());
    d = TRY(Wait(client, target, std::chrono::seconds(flags.timeout), invocation.json));
  }
  if (invocation.json) {
    PrintJson(d);
  } else {
    if (!flags.wait) std::printf("%s\n\n", done);
    PrintDeployment(d);
  }
  return Ok();
}

Status Create(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  Json body = {{"name", target.deployment}};
  if (!flags.stage.empty()) body["stage"] = flags.stage;
  if (!flags.branch.empty()) body["branch"] = flags.branch;
  body["params"] = TRY(Pairs(flags.params, "--param"));
  body["env"] = TRY(Pairs(flags.env, "--env"));
  if (Json size = SizeBody(flags.size); !size.empty()) body["size"] = size;
  ApiClient client = TRY(Connect(invocation));
  Json d = TRY(client.Post(fmt::format("/api/v1/projects/{}/deployments",
                                       http::PercentEncode(target.project)),
                           body));
  return Finish(invocation, client, target, d, flags,
                "Created; it is being built and started (`--wait` waits for it).");
}

Status List(Invocation& invocation, const std::string& project) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get(
      fmt::format("/api/v1/projects/{}/deployments", http::PercentEncode(project))));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  // Previews' expiry, in a column of its own when the project has any.
  bool previews = false;
  for (const Json& d : listed["deployments"]) previews |= d.value("preview", Json()).is_object();
  std::vector<std::string> headers = {"NAME", "STAGE", "BRANCH", "PHASE", "COLOUR", "COMMIT",
                                      "CREATED"};
  if (previews) headers.push_back("PREVIEW EXPIRES");
  // Automatic stops (yard deployments enable --for), likewise.
  bool stops = false;
  for (const Json& d : listed["deployments"]) {
    stops |= d.value("stop_at", Json()).is_string() && d.value("desired", "") == "running";
  }
  if (stops) headers.push_back("STOPS AT");
  Table table(headers);
  for (const Json& d : listed["deployments"]) {
    std::vector<std::string> row = {Cell(d, "name"), Cell(d, "stage"), Cell(d, "branch"),
                                    Cell(d["status"], "phase"), Cell(d["status"], "colour"),
                                    Short(d["commit"]), Cell(d, "created_at")};
    if (previews) {
      const Json& preview = d.value("preview", Json());
      row.push_back(preview.is_object() ? Cell(preview, "expires_at") : "-");
    }
    if (stops) row.push_back(d.value("desired", "") == "running" ? Cell(d, "stop_at") : "-");
    table.AddRow(row);
  }
  table.Print(fmt::format("No deployments. Create one with `yard deployments create {}/NAME "
                          "--stage development`.",
                          project));
  return Ok();
}

Status Show(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json d = TRY(client.Get(DeploymentPath(target)));
  return Finish(invocation, client, target, d, flags, "");
}

Status Act(Invocation& invocation, const Flags& flags, const std::string& verb,
           const char* done) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json body = Json::object();
  if (!flags.service.empty()) body["service"] = flags.service;
  Json d = TRY(client.Post(DeploymentPath(target) + "/" + verb, body));
  return Finish(invocation, client, target, d, flags, done);
}

Status Delete(Invocation& invocation, const Flags& flags) {
  // trash_commands.cc: the confirmation, and where the data went.
  return DeleteDeployment(invocation, flags.target, flags.yes, flags.wait, flags.timeout);
}

void PrintReleases(const Json& releases) {
  Table table({"", "RELEASE", "COMMIT", "KIND", "FROM", "BY", "CREATED"});
  for (const Json& release : releases) {
    table.AddRow({release.value("current", false) ? "*" : "", Cell(release, "number"),
                  Short(release["commit"]), Cell(release, "kind"), Cell(release, "source"),
                  release["created_by"].is_string() ? Cell(release, "created_by") : "platform",
                  Cell(release, "created_at")});
  }
  table.Print("No releases yet: one is made by each successful build.");
  if (!releases.empty()) std::printf("\n* runs now\n");
}

Status Releases(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(
      client.Get(fmt::format("{}/releases?limit={}", DeploymentPath(target), flags.limit)));
  if (invocation.json) {
    PrintJson(listed);
  } else {
    PrintReleases(listed["releases"]);
  }
  return Ok();
}

// What a rollback or promotion answered: the release made, and the deployment.
Status FinishRelease(Invocation& invocation, ApiClient& client, const DeploymentTarget& target,
                     Json answer, const Flags& flags, const std::string& what) {
  const Json& release = answer["release"];
  if (!invocation.json) {
    const Json& d = answer["deployment"];
    std::string next = d.value("auto_deploy", true)
                           ? fmt::format("the next push to {} rolls forward", Cell(d, "branch"))
                           : "auto-deploy is off, so pushes leave it";
    std::printf("%s: release %s runs commit %s (%s) without a build; %s.\n", what.c_str(),
                Cell(release, "number").c_str(), Short(release["commit"]).c_str(),
                Cell(release, "source").c_str(), next.c_str());
  }
  if (flags.wait) {
    if (!invocation.json) {
      std::fprintf(stderr, "Waiting for %s/%s…\n", target.project.c_str(),
                   target.deployment.c_str());
    }
    answer["deployment"] =
        TRY(Wait(client, target, std::chrono::seconds(flags.timeout), invocation.json));
  }
  if (invocation.json) {
    PrintJson(answer);
  } else {
    std::printf("\n");
    PrintDeployment(answer["deployment"]);
  }
  return Ok();
}

Status Rollback(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json body = Json::object();
  if (flags.release != 0) body["release"] = flags.release;
  Json answer = TRY(client.Post(DeploymentPath(target) + "/rollback", body));
  return FinishRelease(invocation, client, target, answer, flags,
                       fmt::format("Rolled back {}/{}", target.project, target.deployment));
}

Status Promote(Invocation& invocation, const Flags& flags) {
  DeploymentTarget source = TRY(ParseDeploymentTarget(flags.source));
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  if (source.project != target.project) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("releases are promoted within a project: {}/{} and {}/{} are "
                                  "deployments of different projects",
                                  source.project, source.deployment, target.project,
                                  target.deployment));
  }
  ApiClient client = TRY(Connect(invocation));
  Json body = {{"from", source.deployment}};
  if (flags.release != 0) body["release"] = flags.release;
  Json answer = TRY(client.Post(DeploymentPath(target) + "/promote", body));
  return FinishRelease(invocation, client, target, answer, flags,
                       fmt::format("Promoted to {}/{}", target.project, target.deployment));
}

Status Set(Invocation& invocation, Flags flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  Json body = Json::object();
  if (!flags.branch.empty()) body["branch"] = flags.branch;
  if (!flags.auto_deploy.empty()) body["auto_deploy"] = flags.auto_deploy == "on";
  if (Json size = SizeBody(flags.size); !size.empty()) body["size"] = size;
  if (body.empty()) {
    return Unexpected(ErrorCode::kUsage, "nothing to set: give --branch, --auto-deploy, --size, "
                                         "--cpus or --memory");
  }
  ApiClient client = TRY(Connect(invocation));
  Json before = TRY(client.Get(DeploymentPath(target)));
  Json d = TRY(client.Call("PATCH", DeploymentPath(target), &body));
  // Only a new branch has an outcome to wait for: its head's build and rollout.
  bool moved = Cell(d, "branch") != Cell(before, "branch");
  // A new size replaces the containers (built components roll out): that can be waited for.
  bool resized = d["size"] != before["size"];
  flags.wait = flags.wait && (moved || resized);
  std::string done = moved ? fmt::format("Now following {}; its head is being built and rolled "
                                         "out (`--wait` waits for it).",
                                         Cell(d, "branch"))
                           : "Updated.";
  if (resized) {
    done += fmt::format(" Size {} ({}): the containers are being replaced with the new "
                        "limits.",
                        Cell(d["size"], "name"), Cell(d["size"], "description"));
  }
  if (!flags.auto_deploy.empty()) {
    done += d.value("auto_deploy", true)
                ? fmt::format(" Pushes to {} deploy.", Cell(d, "branch"))
                : fmt::format(" Pushes to {} no longer deploy; `yard deployments rebuild` "
                              "does.",
                              Cell(d, "branch"));
  }
  return Finish(invocation, client, target, d, flags, done.c_str());
}

}  // namespace

Result<Json> WaitForDeployment(ApiClient& client, const DeploymentTarget& target,
                               std::chrono::seconds timeout, bool quiet) {
  return Wait(client, target, timeout, quiet);
}

void PrintDeploymentView(const Json& d) { PrintDeployment(d); }

void AddDeploymentCommands(CLI::App& app, Invocation& invocation) {
  auto* deployments = app.add_subcommand(
      "deployments", "Create and operate deployments: running instances of a project's stack");
  deployments->alias("dep");
  deployments->require_subcommand(1);
  auto flags = std::make_shared<Flags>();
  auto add_target = [&](CLI::App* command) {
    command->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/dev")
        ->required();
  };
  auto add_wait = [&](CLI::App* command, const char* until =
                                              "Wait until every service is running and healthy "
                                              "(progress on stderr)") {
    command->add_flag("--wait", flags->wait, until);
    command->add_option("--timeout", flags->timeout, "Seconds --wait waits at most")
        ->capture_default_str();
  };

  auto* create = deployments->add_subcommand(
      "create", "Create a deployment: check out or build the branch and start it");
  add_target(create);
  create->add_option("--stage", flags->stage,
                     "A stage of the stack: development, staging, production, or your own "
                     "(default: the first)");
  create->add_option("--branch", flags->branch, "The branch to follow (default: main, else master, else the first branch)");
  create->add_option("--param", flags->params, "KEY=VALUE for a param of the stack (repeatable)");
  create->add_option("--env", flags->env,
                     "KEY=VALUE set in every component's environment, over the manifest's "
                     "(repeatable)");
  AddSizeOptions(create, flags->size, "unlimited");
  add_wait(create);
  create->callback([&invocation, flags] { invocation.status = Create(invocation, *flags); });

  auto* list = deployments->add_subcommand("list", "List a project's deployments");
  list->add_option("project", flags->project, "The project")->required();
  list->callback([&invocation, flags] { invocation.status = List(invocation, flags->project); });

  auto* show = deployments->add_subcommand(
      "show", "Show a deployment's status: phase, colour, reasons and every service");
  add_target(show);
  add_wait(show);
  show->callback([&invocation, flags] { invocation.status = Show(invocation, *flags); });

  auto* start = deployments->add_subcommand("start", "Start a stopped deployment");
  add_target(start);
  add_wait(start);
  start->callback([&invocation, flags] {
    invocation.status = Act(invocation, *flags, "start", "Starting.");
  });

  auto* stop = deployments->add_subcommand(
      "stop", "Stop a deployment: its containers go, its volumes (code, data) stay");
  add_target(stop);
  stop->callback([&invocation, flags] {
    invocation.status = Act(invocation, *flags, "stop", "Stopping.");
  });

  auto* restart = deployments->add_subcommand(
      "restart", "Restart a deployment, or one of its services, in fresh containers");
  add_target(restart);
  restart->add_option("service", flags->service, "Only this component or add-on");
  add_wait(restart);
  restart->callback([&invocation, flags] {
    invocation.status = Act(invocation, *flags, "restart", "Restarting.");
  });

  auto* rebuild = deployments->add_subcommand(
      "rebuild", "Build the branch's head again and roll it out");
  add_target(rebuild);
  add_wait(rebuild);
  rebuild->callback([&invocation, flags] {
    invocation.status = Act(invocation, *flags, "rebuild", "Rebuilding.");
  });

  auto* redeploy = deployments->add_subcommand(
      "redeploy",
      "Roll the running release out again in fresh containers, without building: built "
      "components start beside the old ones and take over once healthy, development ones "
      "restart; add-ons run on");
  add_target(redeploy);
  add_wait(redeploy);
  redeploy->callback([&invocation, flags] {
    invocation.status = Act(invocation, *flags, "redeploy", "Redeploying.");
  });

  auto* remove = deployments->add_subcommand(
      "delete", "Delete a deployment; its volumes are moved to the server's trash");
  add_target(remove);
  remove->add_flag("--yes", flags->yes,
                   "Do not ask: deployments of other than development stages otherwise take "
                   "their name typed on a terminal");
  add_wait(remove, "Wait until the deployment is gone");
  remove->callback([&invocation, flags] { invocation.status = Delete(invocation, *flags); });

  auto* releases = deployments->add_subcommand(
      "releases",
      "List what a deployment has run, newest first: each build, rollback and promotion");
  add_target(releases);
  releases->add_option("--limit", flags->limit, "How many")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  releases->callback([&invocation, flags] { invocation.status = Releases(invocation, *flags); });

  auto* rollback = deployments->add_subcommand(
      "rollback",
      "Run an earlier release again without building; the next push to the branch rolls "
      "forward");
  add_target(rollback);
  rollback->add_option("--to", flags->release,
                       "The release number (default: the newest one that differs from what "
                       "runs); see `yard deployments releases`")
      ->check(ReleaseNumber());
  add_wait(rollback);
  rollback->callback([&invocation, flags] { invocation.status = Rollback(invocation, *flags); });

  auto* promote = deployments->add_subcommand(
      "promote",
      "Run another deployment's release here without building, e.g. staging's in production");
  promote->add_option("source", flags->source,
                      "PROJECT/DEPLOYMENT whose release to run, e.g. shop/staging")
      ->required();
  add_target(promote);
  promote->add_option("--release", flags->release,
                      "The source's release number (default: the one it runs)")
      ->check(ReleaseNumber());
  add_wait(promote);
  promote->callback([&invocation, flags] { invocation.status = Promote(invocation, *flags); });

  auto* set = deployments->add_subcommand(
      "set",
      "Change the branch a deployment follows, whether pushes to it deploy, or its size");
  add_target(set);
  set->add_option("--branch", flags->branch,
                  "Follow this branch: its head is built and rolled out (not for development "
                  "deployments: switch branches in the code volume)");
  set->add_option("--auto-deploy", flags->auto_deploy,
                  "on: a push to the branch builds and rolls out; off: only rebuilds and "
                  "promotions change what runs")
      ->check(CLI::IsMember({"on", "off"}));
  // The containers are replaced to apply a new size.
  AddSizeOptions(set, flags->size, "unchanged");
  add_wait(set, "With --branch or a new size: wait until it runs and is healthy");
  set->callback([&invocation, flags] { invocation.status = Set(invocation, *flags); });
}

}  // namespace yard::cli
