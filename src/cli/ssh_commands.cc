// `yard ssh PROJECT/DEPLOYMENT [COMPONENT] [-- COMMAND...]`: a shell (or a command) in a
// deployment's container through the server's SSH gateway, run by OpenSSH's own `ssh` so that
// the terminal, agent and config work as always. `yard ssh-config`: the same as ssh_config
// Host blocks, for IDEs (VS Code Remote-SSH, JetBrains Gateway) and plain `ssh NAME.yard`.

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "auth/ssh_public_key.h"
#include "base/fs.h"
#include "base/process.h"
#include "cli/command.h"
#include "cli/config.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "cli/ssh_setup.h"
#include "http/message.h"
#include "ssh/command_line.h"

namespace yard::cli {
namespace {

struct SshFlags {
  std::string target;
  std::string component;
  std::vector<std::string> command;
  bool print = false;
  bool tty = false;  // a terminal even for a command (yard exec -t)
  std::string project;  // ssh-config
};

// Beside the login (config.json): the gateway's host keys, for every server used.
std::string KnownHostsPath() {
  return (std::filesystem::path(ConfigPath()).parent_path() / "known_hosts").string();
}

struct Gateway {
  ssh::SshAddress address;
  std::vector<std::string> host_keys;
};

Result<Gateway> GatewayOf(ApiClient& client) {
  Json view = TRY(client.Get("/api/v1/ssh"));
  if (!view.value("enabled", false)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the SSH gateway of {} is off (the server runs with --ssh off); "
                                  "ask its administrator to turn it on",
                                  client.server()));
  }
  Gateway gateway{.address = {view.value("host", ""), view.value("port", 22)}};
  for (const Json& key : view.value("host_keys", Json::array())) {
    if (key.is_string()) gateway.host_keys.push_back(key.get<std::string>());
  }
  if (gateway.address.host.empty() || gateway.host_keys.empty()) {
    return Unexpected(ErrorCode::kInternal,
                      "the server's answer about its SSH gateway has no host or no host keys");
  }
  return gateway;
}

// Writes the gateway's keys for its address; other lines of the file stay.
Status WriteKnownHosts(const Gateway& gateway) {
  std::string path = KnownHostsPath();
  std::string existing;
  if (auto text = fs::ReadFile(path, 16 * 1024 * 1024)) {
    existing = std::move(*text);
  } else if (text.error().code != ErrorCode::kNotFound) {
    return Unexpected(text.error());
  }
  std::string merged = MergeKnownHosts(existing, gateway.address, gateway.host_keys);
  if (merged == existing) return Ok();
  TRY(fs::CreateDirectories(std::filesystem::path(path).parent_path().string(), 0700));
  return fs::AtomicWriteFile(path, merged, 0644);
}

// The deployment's SSH address (the view's, which the server may advertise per deployment,
// else the gateway's) and its services' ids.
ssh::SshAddress AddressOf(const Json& deployment, const Gateway& gateway) {
  const Json& view = deployment.value("ssh", Json());
  if (!view.is_object()) return gateway.address;
  return {view.value("host", gateway.address.host), view.value("port", gateway.address.port)};
}

std::vector<std::string> ServicesOf(const Json& deployment) {
  std::vector<std::string> ids;
  const Json& view = deployment.value("ssh", Json());
  if (view.is_object() && view.value("services", Json()).is_object()) {
    for (const auto& [id, user] : view["services"].items()) ids.push_back(id);
  }
  if (ids.empty() && deployment.contains("status")) {
    for (const Json& service : deployment["status"].value("services", Json::array())) {
      if (service.value("id", Json()).is_string()) ids.push_back(service["id"].get<std::string>());
    }
  }
  return ids;
}

// Fingerprints of the keys ssh is likely to offer: ~/.ssh/*.pub and the agent's.
std::vector<std::string> LocalFingerprints() {
  std::vector<std::string> fingerprints;
  auto add = [&](std::string_view line) {
    auto key = auth::ParseSshPublicKey(line);
    if (key && std::find(fingerprints.begin(), fingerprints.end(), key->fingerprint) ==
                   fingerprints.end()) {
      fingerprints.push_back(key->fingerprint);
    }
  };
  auto lines = [&](const std::string& text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = std::min(text.find('\n', start), text.size());
      add(std::string_view(text).substr(start, end - start));
      start = end + 1;
    }
  };
  const char* home = std::getenv("HOME");
  std::error_code error;
  std::filesystem::directory_iterator folder(fs::Join(home ? home : ".", ".ssh"), error);
  for (; !error && folder != std::filesystem::directory_iterator(); folder.increment(error)) {
    if (folder->path().extension() != ".pub") continue;
    if (auto text = fs::ReadFile(folder->path().string(), 64 * 1024)) lines(*text);
  }
  if (std::getenv("SSH_AUTH_SOCK") != nullptr) {
    auto agent = RunProcess({.argv = {"ssh-add", "-L"}, .timeout = std::chrono::seconds(5)});
    if (agent && agent->Succeeded()) lines(agent->stdout_data);
  }
  return fingerprints;
}

Status CheckLocalKeys(ApiClient& client) {
  Json listed = TRY(client.Get("/api/v1/users/me/keys"));
  std::vector<std::string> registered;
  for (const Json& key : listed.value("keys", Json::array())) {
    if (key.value("fingerprint", Json()).is_string()) {
      registered.push_back(key["fingerprint"].get<std::string>());
    }
  }
  KeyCheck check = CheckKeys(LocalFingerprints(), registered);
  if (check.verdict == KeyCheck::Verdict::kNoneServer) {
    return Unexpected(ErrorCode::kFailedPrecondition, check.message);
  }
  if (check.verdict != KeyCheck::Verdict::kOk) {
    std::fprintf(stderr, "yard: warning: %s\n", check.message.c_str());
  }
  return Ok();
}

Status Exec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  ::execvp(args[0], args.data());
  return Unexpected(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                    fmt::format("cannot run ssh: {}; yard ssh needs OpenSSH's client (Debian and "
                                "Ubuntu: openssh-client)",
                                std::strerror(errno)));
}

Status Ssh(Invocation& invocation, const SshFlags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Gateway gateway = TRY(GatewayOf(client));
  Json deployment = TRY(client.Get(DeploymentPath(target)));
  std::vector<std::string> services = ServicesOf(deployment);
  if (!flags.component.empty() && !services.empty() &&
      std::find(services.begin(), services.end(), flags.component) == services.end()) {
    std::string list;
    for (const std::string& id : services) list += (list.empty() ? "" : ", ") + id;
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("{}/{} has no component or add-on '{}' (it has {})",
                                  target.project, target.deployment, flags.component, list));
  }
  // The user name is the route (ssh/target.h), so it is made here as the gateway reads it.
  std::string user = ssh::SshUser(
      {.project = target.project, .deployment = target.deployment, .component = flags.component});
  ssh::SshAddress address = AddressOf(deployment, gateway);
  TRY(WriteKnownHosts({address, gateway.host_keys}));
  std::vector<std::string> argv = ssh::SshArgv(address, user, KnownHostsPath(), flags.command);
  if (flags.tty) argv.insert(argv.begin() + 1, "-t");
  if (flags.print) {
    if (invocation.json) {
      PrintJson({{"argv", argv},
                 {"command", ssh::ShellJoin(argv)},
                 {"known_hosts_file", KnownHostsPath()}});
    } else {
      std::printf("%s\n", ssh::ShellJoin(argv).c_str());
    }
    return Ok();
  }
  TRY(CheckLocalKeys(client));
  return Exec(argv);
}

Status SshConfig(Invocation& invocation, const SshFlags& flags) {
  ApiClient client = TRY(Connect(invocation));
  Gateway gateway = TRY(GatewayOf(client));
  std::vector<std::string> projects;
  if (!flags.project.empty()) {
    projects.push_back(flags.project);
  } else {
    Json listed = TRY(client.Get("/api/v1/projects"));
    for (const Json& project : listed.value("projects", Json::array())) {
      projects.push_back(project.value("name", ""));
    }
  }
  std::string known_hosts = KnownHostsPath();
  std::string blocks;
  Json hosts = Json::array();
  std::vector<ssh::SshAddress> addresses;
  for (const std::string& project : projects) {
    Json listed = TRY(
        client.Get(fmt::format("/api/v1/projects/{}/deployments", http::PercentEncode(project))));
    for (const Json& deployment : listed.value("deployments", Json::array())) {
      ssh::SshAddress address = AddressOf(deployment, gateway);
      if (std::none_of(addresses.begin(), addresses.end(), [&](const ssh::SshAddress& known) {
            return known.host == address.host && known.port == address.port;
          })) {
        addresses.push_back(address);
      }
      ssh::SshTarget target{.project = project, .deployment = deployment.value("name", "")};
      std::vector<std::string> components = {""};
      for (const std::string& service : ServicesOf(deployment)) components.push_back(service);
      for (const std::string& component : components) {
        target.component = component;
        blocks += "\n" + ssh::SshConfigBlock(address, target, known_hosts);
        hosts.push_back({{"host", ssh::SshConfigAlias(target)},
                         {"hostname", address.host},
                         {"port", address.port},
                         {"user", ssh::SshUser(target)},
                         {"project", project},
                         {"deployment", target.deployment},
                         {"service", component.empty() ? Json(nullptr) : Json(component)}});
      }
    }
  }
  if (addresses.empty()) addresses.push_back(gateway.address);
  for (const ssh::SshAddress& address : addresses) {
    TRY(WriteKnownHosts({address, gateway.host_keys}));
  }
  if (invocation.json) {
    PrintJson({{"known_hosts_file", known_hosts}, {"hosts", hosts}});
    return Ok();
  }
  std::printf(
      "# Stackyard deployments on %s, from `yard ssh-config`.\n"
      "# Save as ~/.ssh/stackyard.conf and put `Include stackyard.conf` at the top of\n"
      "# ~/.ssh/config; then: ssh DEPLOYMENT.PROJECT.yard\n",
      client.server().c_str());
  if (hosts.empty()) std::printf("# (no deployments yet)\n");
  std::fputs(blocks.c_str(), stdout);
  return Ok();
}

}  // namespace

Status SshExec(Invocation& invocation, const std::string& target, const std::string& component,
               const std::vector<std::string>& command) {
  // ssh sends the words joined by spaces and the gateway runs them with /bin/sh -c: quoted
  // here, each word arrives as it was given.
  SshFlags flags{.target = target,
                 .component = component,
                 .command = {ssh::ShellJoin(command)},
                 .tty = true};
  return Ssh(invocation, flags);
}

void AddSshCommands(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<SshFlags>();

  auto* ssh = app.add_subcommand(
      "ssh", "Open a shell, or run a command, in a deployment's container over SSH");
  ssh->footer(
      "Runs OpenSSH's ssh through the server's SSH gateway, with the gateway's host keys in\n"
      "~/.config/stackyard/known_hosts. Without COMPONENT: the stack's primary service.\n"
      "A command goes after --: yard ssh shop/dev web -- ls -l\n"
      "Forwards (ssh -L, -W) reach the container's localhost and the deployment's services by\n"
      "id (db:5432); nothing else. Logs in with your keys from `yard keys`.");
  ssh->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/dev")->required();
  // CLI11 would give the first word after `--` to COMPONENT when none is written before it:
  // checked while parsing, a word after `--` is refused there and goes to COMMAND, and a
  // word before it is refused by COMMAND (so that `-l` in `ls -l` never reads as a flag).
  ssh->validate_positionals();
  auto after_dashes = [ssh] {
    std::vector<std::string> seen = ssh->remaining();
    return std::find(seen.begin(), seen.end(), "--") != seen.end();
  };
  auto components = std::make_shared<std::vector<std::string>>();
  ssh->add_option("component", flags->component,
                  "A component or add-on (default: the stack's primary service)")
      ->check(CLI::Validator(
          [after_dashes, components](std::string& word) -> std::string {
            // Results are validated again once parsing is done: accept what was accepted.
            if (std::find(components->begin(), components->end(), word) != components->end()) {
              return "";
            }
            if (after_dashes()) return "the command comes after --";
            components->push_back(word);
            return "";
          },
          "COMPONENT"));
  ssh->add_option("command", flags->command, "The command to run instead of a shell (after --)")
      ->check(CLI::Validator(
          [after_dashes](std::string&) -> std::string {
            return after_dashes() ? "" : "write the command after --";
          },
          "COMMAND"));
  ssh->add_flag("--print", flags->print,
                "Print the ssh command line instead of running it (with --json: its argv)");
  ssh->callback([&invocation, flags] { invocation.status = Ssh(invocation, *flags); });

  auto* config = app.add_subcommand(
      "ssh-config", "Print ssh_config Host blocks for your deployments, for ssh and IDEs");
  config->footer(
      "One block per deployment (DEPLOYMENT.PROJECT.yard, its primary service) and per\n"
      "service (COMPONENT.DEPLOYMENT.PROJECT.yard). VS Code Remote-SSH, JetBrains Gateway and\n"
      "Cursor list them once the file is included from ~/.ssh/config.");
  config->add_option("project", flags->project, "Only this project's deployments");
  config->callback([&invocation, flags] { invocation.status = SshConfig(invocation, *flags); });
}

}  // namespace yard::cli
