// `yard env list|set|unset` and `yard params list|set|unset`: a deployment's configuration
// (docs/configuration.md). Secrets are write-only: listed masked unless an owner reveals them;
// `NAME=-` reads a value from stdin so that it never shows in the shell's history.

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
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

struct ConfigFlags {
  std::string target;
  std::vector<std::string> items;  // NAME=VALUE, or NAME to unset
  std::string component;
  bool secret = false;
  bool reveal = false;
};

// Reads a value from stdin: without echo and up to the end of the line from a terminal, else
// everything up to EOF (one trailing newline dropped, as `echo` and here-strings add one).
Result<std::string> ReadStdin(const std::string& name) {
  std::string value;
  if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "Value of %s: ", name.c_str());
    std::fflush(stderr);
    termios saved{};
    bool quiet = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (quiet) {
      termios silent = saved;
      silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
    }
    std::getline(std::cin, value);
    if (quiet) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fprintf(stderr, "\n");
    return value;
  }
  value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  if (value.ends_with("\r\n")) {
    value.resize(value.size() - 2);
  } else if (value.ends_with('\n')) {
    value.pop_back();
  }
  return value;
}

// NAME=VALUE pairs, all checked (and stdin read) before anything is sent.
Result<std::vector<std::pair<std::string, std::string>>> Assignments(
    const std::vector<std::string>& items) {
  std::vector<std::pair<std::string, std::string>> out;
  bool stdin_used = false;
  for (const std::string& item : items) {
    size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Unexpected(ErrorCode::kUsage,
                        fmt::format("'{}' is not NAME=VALUE (NAME=- reads the value from stdin)",
                                    item));
    }
    std::string name = item.substr(0, equals);
    std::string value = item.substr(equals + 1);
    if (value == "-") {
      if (stdin_used) {
        return Unexpected(ErrorCode::kUsage, "only one value can be read from stdin (NAME=-)");
      }
      stdin_used = true;
      value = TRY(ReadStdin(name));
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::string WithQuery(std::string path, const std::vector<std::string>& query) {
  for (size_t i = 0; i < query.size(); ++i) path += (i == 0 ? "?" : "&") + query[i];
  return path;
}

// "web rolls out, db restarts" from a change's answer.
std::string Effect(const Json& change) {
  std::string out;
  for (const Json& service : change["services"]) {
    std::string action = service.value("action", "");
    std::string verb = action == "rollout"   ? "rolls out"
                       : action == "rebuild" ? "is rebuilt"
                                             : "restarts";
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", service.value("service", ""), verb);
  }
  return out.empty() ? "nothing restarts" : out;
}

void PrintChanges(const Invocation& invocation, const std::vector<std::string>& done,
                  const std::vector<Json>& answers) {
  if (invocation.json) {
    PrintJson(Json{{"changes", answers}});
    return;
  }
  for (size_t i = 0; i < done.size(); ++i) {
    std::printf("%s: %s\n", done[i].c_str(), Effect(answers[i]).c_str());
  }
}

std::string Shown(const Json& entry) {
  if (entry["value"].is_string()) return entry["value"].get<std::string>();
  return entry.value("secret", false) ? "(secret)" : "-";
}

Status ListEnv(Invocation& invocation, const ConfigFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  std::vector<std::string> query;
  if (!flags.component.empty()) query.push_back("component=" + http::PercentEncode(flags.component));
  if (flags.reveal) query.push_back("reveal=true");
  Json answer = TRY(client.Get(WithQuery(DeploymentPath(target) + "/env", query)));
  if (invocation.json) {
    PrintJson(answer);
    return Ok();
  }
  Table table({"SERVICE", "NAME", "VALUE", "ORIGIN", "FROM"});
  for (const Json& entry : answer["variables"]) {
    table.AddRow({Cell(entry, "service"), Cell(entry, "name"), Shown(entry), Cell(entry, "origin"),
                  Cell(entry, "source")});
  }
  table.Print("no variables");
  return Ok();
}

Status SetEnv(Invocation& invocation, const ConfigFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  auto assignments = TRY(Assignments(flags.items));
  ApiClient client = TRY(Connect(invocation));
  std::vector<std::string> done;
  std::vector<Json> answers;
  for (const auto& [name, value] : assignments) {
    Json body{{"value", value}, {"secret", flags.secret}};
    if (!flags.component.empty()) body["component"] = flags.component;
    answers.push_back(TRY_CTX(
        client.Call("PUT", DeploymentPath(target) + "/env/" + http::PercentEncode(name), &body),
        name));
    done.push_back(fmt::format("set {}{}", name, flags.secret ? " (secret)" : ""));
  }
  PrintChanges(invocation, done, answers);
  return Ok();
}

Status UnsetEnv(Invocation& invocation, const ConfigFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  std::vector<std::string> query;
  if (!flags.component.empty()) query.push_back("component=" + http::PercentEncode(flags.component));
  std::vector<std::string> done;
  std::vector<Json> answers;
  for (const std::string& name : flags.items) {
    answers.push_back(TRY_CTX(
        client.Delete(WithQuery(DeploymentPath(target) + "/env/" + http::PercentEncode(name),
                                query)),
        name));
    done.push_back("unset " + name);
  }
  PrintChanges(invocation, done, answers);
  return Ok();
}

Status ListParams(Invocation& invocation, const ConfigFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json answer = TRY(client.Get(DeploymentPath(target) + "/params" +
                               (flags.reveal ? "?reveal=true" : "")));
  if (invocation.json) {
    PrintJson(answer);
    return Ok();
  }
  Table table({"PARAM", "TYPE", "VALUE", "SET", "DEFAULT", "DESCRIPTION"});
  for (const Json& param : answer["params"]) {
    std::string type = param.value("type", "");
    if (type == "enum") {
      std::string values;
      for (const Json& value : param["values"]) {
        values += (values.empty() ? "" : "|") + value.get<std::string>();
      }
      type += " (" + values + ")";
    }
    std::string fallback = param["default"].is_string() ? param["default"].get<std::string>()
                                                         : "-";
    table.AddRow({Cell(param, "id"), type, Shown(param), param.value("set", false) ? "yes" : "no",
                  fallback, Cell(param, "description")});
  }
  table.Print("the stack declares no params");
  return Ok();
}

Status SetParams(Invocation& invocation, const ConfigFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  auto assignments = TRY(Assignments(flags.items));
  ApiClient client = TRY(Connect(invocation));
  std::vector<std::string> done;
  std::vector<Json> answers;
  for (const auto& [id, value] : assignments) {
    Json body{{"value", value}};
    answers.push_back(TRY_CTX(
        client.Call("PUT", DeploymentPath(target) + "/params/" + http::PercentEncode(id), &body),
        id));
    done.push_back("set param " + id);
  }
  PrintChanges(invocation, done, answers);
  return Ok();
}

Status UnsetParams(Invocation& invocation, const ConfigFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  std::vector<std::string> done;
  std::vector<Json> answers;
  for (const std::string& id : flags.items) {
    answers.push_back(TRY_CTX(
        client.Delete(DeploymentPath(target) + "/params/" + http::PercentEncode(id)), id));
    done.push_back("param " + id + " back to its default");
  }
  PrintChanges(invocation, done, answers);
  return Ok();
}

using Runner = Status (*)(Invocation&, const ConfigFlags&);

CLI::App* Sub(CLI::App& parent, Invocation& invocation, const char* name, const char* help,
              Runner run, std::shared_ptr<ConfigFlags> flags) {
  CLI::App* sub = parent.add_subcommand(name, help);
  sub->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/prod")->required();
  sub->callback([&invocation, run, flags] { invocation.status = run(invocation, *flags); });
  return sub;
}

}  // namespace

void AddEnvCommands(CLI::App& app, Invocation& invocation) {
  auto* env = app.add_subcommand(
      "env",
      "A deployment's environment: every variable of every service with where its value comes "
      "from (manifest, param, import, override, generated), and the overrides you set. A "
      "change restarts (development) or rolls out (built stages) only the components it "
      "changes");
  env->require_subcommand(1);

  auto list_flags = std::make_shared<ConfigFlags>();
  auto* list = Sub(*env, invocation, "list",
                   "List the variables. Secrets show as (secret) unless --reveal", ListEnv,
                   list_flags);
  list->add_option("--component", list_flags->component, "Only this component or add-on");
  list->add_flag("--reveal", list_flags->reveal,
                 "Show secrets in plain text (project owners and admins only)");

  auto set_flags = std::make_shared<ConfigFlags>();
  auto* set = Sub(*env, invocation, "set",
                  "Set overrides, which win over the manifest. NAME=- reads the value from "
                  "stdin (no echo on a terminal), keeping it out of the shell's history",
                  SetEnv, set_flags);
  set->add_option("assignments", set_flags->items, "NAME=VALUE...")->required();
  set->add_option("--component", set_flags->component,
                  "Only for this component (default: every component)");
  set->add_flag("--secret", set_flags->secret,
                "Keep the values encrypted and masked in listings (write-only)");

  auto unset_flags = std::make_shared<ConfigFlags>();
  auto* unset = Sub(*env, invocation, "unset",
                    "Remove overrides: the manifest's values apply again", UnsetEnv, unset_flags);
  unset->add_option("names", unset_flags->items, "NAME...")->required();
  unset->add_option("--component", unset_flags->component,
                    "The component the overrides were set for (default: every component)");

  auto* params = app.add_subcommand(
      "params",
      "A deployment's params: the values the manifest's ${param:ID} take. A change restarts "
      "or rolls out only the components that use it; secret params are write-only");
  params->require_subcommand(1);
  auto plist_flags = std::make_shared<ConfigFlags>();
  auto* plist = Sub(*params, invocation, "list",
                    "List the params with their types, values and defaults", ListParams,
                    plist_flags);
  plist->add_flag("--reveal", plist_flags->reveal,
                  "Show secret params in plain text (project owners and admins only)");
  auto pset_flags = std::make_shared<ConfigFlags>();
  auto* pset = Sub(*params, invocation, "set",
                   "Set params, checked against their types. ID=- reads the value from stdin",
                   SetParams, pset_flags);
  pset->add_option("assignments", pset_flags->items, "ID=VALUE...")->required();
  auto punset_flags = std::make_shared<ConfigFlags>();
  auto* punset = Sub(*params, invocation, "unset", "Put params back to their defaults",
                     UnsetParams, punset_flags);
  punset->add_option("ids", punset_flags->items, "ID...")->required();
}

}  // namespace yard::cli
