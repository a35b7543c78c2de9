// `yard action list|run|logs PROJECT/DEPLOYMENT ...`: the manifest's named actions, and
// `yard exec PROJECT/DEPLOYMENT [--component C] [-t] -- COMMAND...`: a one-off command, both
// run in a deployment's running container (docs/deployments.md "Actions and one-off
// commands"). The output is printed as it comes, and yard exits with the command's exit code.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

struct ActionFlags {
  std::string target;
  std::string action;
  std::string run;
  std::string component;
  std::vector<std::string> command;
  bool follow = false;
  bool tty = false;
};

std::string ActionsPath(const DeploymentTarget& target) {
  return DeploymentPath(target) + "/actions";
}

// "migrate" or the command, for tables.
std::string WhatRan(const Json& run) {
  if (run.contains("action") && run["action"].is_string()) return run["action"].get<std::string>();
  std::string command;
  for (const Json& word : run.value("command", Json::array())) {
    std::string text = word.is_string() ? word.get<std::string>() : word.dump();
    if (!command.empty()) command += ' ';
    command += text.find(' ') == std::string::npos && !text.empty() ? text : "'" + text + "'";
  }
  return command.size() > 50 ? command.substr(0, 47) + "..." : command;
}

std::string Outcome(const Json& run) {
  std::string state = Cell(run, "state");
  if (run.contains("exit_code") && run["exit_code"].is_number() && state != "succeeded") {
    state += fmt::format(" ({})", run["exit_code"].get<int>());
  }
  return state;
}

void PrintRuns(const Json& runs) {
  Table table({"RUN", "WHAT", "IN", "STATE", "BY", "STARTED"});
  for (const Json& run : runs) {
    table.AddRow({Cell(run, "id"), WhatRan(run), Cell(run, "service"), Outcome(run),
                  Cell(run, "started_by"), Cell(run, "started_at")});
  }
  table.Print("No runs yet.");
}

Status List(Invocation& invocation, const ActionFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get(ActionsPath(target)));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"ACTION", "COMPONENT", "COMMAND", "DESCRIPTION"});
  std::vector<std::string> elsewhere;
  for (const Json& action : listed["actions"]) {
    if (!action.value("available", true)) {
      std::string stages;
      for (const Json& stage : action["stages"]) {
        stages += (stages.empty() ? "" : ", ") + stage.get<std::string>();
      }
      elsewhere.push_back(fmt::format("{} (stages: {})", Cell(action, "id"), stages));
      continue;
    }
    std::string command = action["command"].is_string() ? action["command"].get<std::string>()
                                                        : WhatRan(Json{{"command", action["command"]}});
    table.AddRow({Cell(action, "id"), Cell(action, "component"), command,
                  action.value("description", "")});
  }
  table.Print(fmt::format("The stack declares no actions for stage {}.", Cell(listed, "stage")));
  if (!elsewhere.empty()) {
    std::string names;
    for (const std::string& name : elsewhere) names += (names.empty() ? "" : ", ") + name;
    std::printf("Not in stage %s: %s\n", Cell(listed, "stage").c_str(), names.c_str());
  }
  std::printf("\nRecent runs:\n");
  PrintRuns(listed["runs"]);
  return Ok();
}

// Prints a run's streamed answer as it comes: output lines to stdout and stderr as the command
// wrote them, or (--json) every line as it is. Remembers the end.
class RunPrinter {
 public:
  RunPrinter(bool json, bool announce) : json_(json), announce_(announce) {}

  void operator()(const Json& line) {
    if (line.contains("started")) run_ = line["started"].value("id", int64_t{0});
    if (line.contains("exit_code")) end_ = line;
    if (json_) {
      std::string text = line.dump() + "\n";
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return;
    }
    if (line.contains("started")) {
      if (announce_) {
        const Json& run = line["started"];
        std::fprintf(stderr, "yard: running %s in %s (run %lld)\n", WhatRan(run).c_str(),
                     Cell(run, "service").c_str(), static_cast<long long>(run_));
      }
      return;
    }
    if (!line.contains("line")) return;
    std::string text = line.value("line", "") + "\n";
    std::FILE* stream = line.value("stream", "") == "stderr" ? stderr : stdout;
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
  }

  // The command's exit code, or why there is none.
  Result<int> ExitCode(const DeploymentTarget& target) const {
    std::string logs = fmt::format("yard action logs {}/{} {}", target.project,
                                   target.deployment, run_);
    if (!end_) {
      return Unexpected(ErrorCode::kUnavailable,
                        fmt::format("the server stopped sending before the command ended; it "
                                    "may go on: {}",
                                    logs));
    }
    if ((*end_)["exit_code"].is_number_integer()) return (*end_)["exit_code"].get<int>();
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("run {} is {}: {}", run_, Cell(*end_, "state"),
                                  Cell(*end_, "reason")));
  }

  int64_t run() const { return run_; }

 private:
  bool json_;
  bool announce_;
  int64_t run_ = 0;
  std::optional<Json> end_;
};

// Starts a run (POST `path` with `body`), prints it and sets the exit code to the command's.
Status Stream(Invocation& invocation, const DeploymentTarget& target, const std::string& path,
              const Json& body, bool announce) {
  ApiClient client = TRY(Connect(invocation));
  RunPrinter print(invocation.json, announce);
  Status streamed = client.StreamLines(path, std::ref(print), &body);
  if (!streamed) {
    if (print.run() == 0) return streamed;  // refused: nothing ran
    return Unexpected(streamed.error().code,
                      fmt::format("{}; the command may go on: yard action logs {}/{} {}",
                                  streamed.error().message, target.project, target.deployment,
                                  print.run()));
  }
  // Exit codes above 255 do not survive a process exit; engines give 0..255 anyway.
  invocation.exit_code = TRY(print.ExitCode(target)) & 0xff;
  return Ok();
}

Status Run(Invocation& invocation, const ActionFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  return Stream(invocation, target,
                fmt::format("{}/{}/run", ActionsPath(target), http::PercentEncode(flags.action)),
                Json::object(), true);
}

Status Exec(Invocation& invocation, const ActionFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  if (flags.command.empty()) {
    return Unexpected(ErrorCode::kUsage,
                      "give the command after --, e.g. yard exec shop/dev -- ls -l");
  }
  if (flags.tty) return SshExec(invocation, flags.target, flags.component, flags.command);
  Json body = {{"command", flags.command}};
  if (!flags.component.empty()) body["component"] = flags.component;
  return Stream(invocation, target, DeploymentPath(target) + "/exec", body, false);
}

Status Logs(Invocation& invocation, const ActionFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  std::string path =
      fmt::format("{}/runs/{}/logs", ActionsPath(target), http::PercentEncode(flags.run));
  RunPrinter print(invocation.json, false);
  if (flags.follow) return client.StreamLines(path + "?follow=true", std::ref(print));
  Json answer = TRY(client.Get(path));
  if (invocation.json) {
    PrintJson(answer);
    return Ok();
  }
  for (const Json& line : answer["lines"]) print(line);
  const Json& run = answer["run"];
  if (run.value("state", "") == "running") {
    std::fprintf(stderr, "yard: run %s is still running (-f follows it)\n",
                 Cell(run, "id").c_str());
  } else {
    std::fprintf(stderr, "yard: run %s %s\n", Cell(run, "id").c_str(), Outcome(run).c_str());
  }
  return Ok();
}

// Words of the command are taken after `--` only, so that its options (`ls -l`) are never
// read as yard's.
void AddCommandWords(CLI::App* app, std::vector<std::string>& command) {
  app->add_option("command", command, "The program and its arguments, after --")
      ->check(CLI::Validator(
          [app](std::string&) -> std::string {
            std::vector<std::string> seen = app->remaining();
            bool after = std::find(seen.begin(), seen.end(), "--") != seen.end();
            return after ? "" : "write the command after --";
          },
          "COMMAND"));
}

}  // namespace

void AddActionCommands(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<ActionFlags>();
  auto* action = app.add_subcommand(
      "action", "Run the manifest's named actions (migrate, seed, ...) in a deployment");
  action->alias("actions");
  action->require_subcommand(1);
  action->footer(
      "An action runs in a running container of its component, with its environment; its\n"
      "output is kept (yard action logs) and the run is recorded with who started it.");

  auto* list = action->add_subcommand(
      "list", "List the actions the deployment's stage may run, and the recent runs");
  list->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/prod")->required();
  list->callback([&invocation, flags] { invocation.status = List(invocation, *flags); });

  auto* run = action->add_subcommand(
      "run",
      "Run an action, print its output as it comes, and exit with its exit code. Interrupting "
      "yard does not stop the action: it runs on, and yard action logs shows its output");
  run->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/prod")->required();
  run->add_option("action", flags->action, "The action's id, from yard action list")->required();
  run->callback([&invocation, flags] { invocation.status = Run(invocation, *flags); });

  auto* logs = action->add_subcommand(
      "logs", "Print the kept output of a run (an action or a yard exec command)");
  logs->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/prod")->required();
  logs->add_option("run", flags->run, "The run's number (yard action list shows them)")
      ->required();
  logs->add_flag("-f,--follow", flags->follow, "Keep printing while the run goes on");
  logs->callback([&invocation, flags] { invocation.status = Logs(invocation, *flags); });

  auto* exec = app.add_subcommand(
      "exec",
      "Run a command in a deployment's running container, print its output and exit with its "
      "exit code");
  exec->footer(
      "yard exec shop/dev -- sh -c 'echo hi; exit 7'\n"
      "yard exec shop/dev --component db -- psql -c 'select 1'\n"
      "yard exec -t shop/dev -- bash\n"
      "Without -t the command gets no input (stdin), its output is kept and the run recorded\n"
      "(yard action logs); interrupting yard does not stop it. With -t it runs on a terminal\n"
      "through the server's SSH gateway (as yard ssh does), interactively; nothing is kept.");
  exec->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/dev")->required();
  exec->validate_positionals();
  exec->add_option("--component", flags->component,
                   "The component or add-on to run in (default: the stack's primary service)");
  exec->add_flag("-t,--tty", flags->tty,
                 "Run on a terminal, interactively (through the SSH gateway, with your SSH key)");
  AddCommandWords(exec, flags->command);
  exec->callback([&invocation, flags] { invocation.status = Exec(invocation, *flags); });
}

}  // namespace yard::cli
