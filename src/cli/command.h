#pragma once

// What every `yard` subcommand shares: the global flags and the way a command reports its
// outcome (main turns it into a message on stderr and the exit code).

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>

#include "base/result.h"
#include "cli/api_client.h"
#include "cli/deployment_target.h"

namespace yard::cli {

struct Invocation {
  std::string server;  // --server
  std::string token;   // --token
  bool json = false;   // --json
  /// Set by the subcommand that ran.
  Status status;
  /// When `status` is Ok: the exit code (yard exec and yard action run pass the command's on).
  int exit_code = 0;
};

/// An API client for the resolved server and token (flags, environment, stored login).
Result<ApiClient> Connect(const Invocation& invocation);

void AddLoginCommands(CLI::App& app, Invocation& invocation);
void AddTokenCommands(CLI::App& app, Invocation& invocation);
void AddKeyCommands(CLI::App& app, Invocation& invocation);
void AddUserCommands(CLI::App& app, Invocation& invocation);
void AddProjectCommands(CLI::App& app, Invocation& invocation);
void AddDeploymentCommands(CLI::App& app, Invocation& invocation);
/// `yard builds` (after AddDeploymentCommands: it keeps `yard deployments builds|build-log`
/// as hidden aliases).
void AddBuildCommands(CLI::App& app, Invocation& invocation);
/// `yard trash` and `yard deployments enable|disable` (trash_commands.cc; after
/// AddDeploymentCommands).
void AddTrashCommands(CLI::App& app, Invocation& invocation);
/// `yard deployments delete`: asks for confirmation unless the deployment is of a development
/// stage or `yes`, and says where the data went (trash_commands.cc).
Status DeleteDeployment(Invocation& invocation, const std::string& target, bool yes, bool wait,
                        int timeout);
/// Polls until the deployment is running and green, or has failed; progress on stderr unless
/// `quiet` (deployment_commands.cc).
Result<Json> WaitForDeployment(ApiClient& client, const DeploymentTarget& target,
                               std::chrono::seconds timeout, bool quiet);
/// Prints a deployment's view as `yard deployments show` does.
void PrintDeploymentView(const Json& d);
/// `yard deployments clone` (after AddDeploymentCommands; clone_commands.cc).
void AddCloneCommands(CLI::App& app, Invocation& invocation);
/// `yard logs`: a deployment's kept logs (log_commands.cc).
void AddLogCommands(CLI::App& app, Invocation& invocation);
/// `yard status`: a deployment's status tree, or a project's deployments (status_commands.cc).
void AddStatusCommands(CLI::App& app, Invocation& invocation);
/// `yard resources`: a deployment's CPU, memory and disk history (resource_commands.cc).
void AddResourceCommands(CLI::App& app, Invocation& invocation);
/// `yard env` and `yard params`: a deployment's configuration (env_commands.cc).
void AddEnvCommands(CLI::App& app, Invocation& invocation);
/// `yard events`: the event log (event_commands.cc).
void AddEventCommands(CLI::App& app, Invocation& invocation);
void AddDomainCommands(CLI::App& app, Invocation& invocation);
void AddServerCommand(CLI::App& app, Invocation& invocation);
void AddStackCommands(CLI::App& app, Invocation& invocation);
/// `yard projects members|protect|unprotect|pushes` (after AddProjectCommands).
void AddMemberCommands(CLI::App& app, Invocation& invocation);
/// `yard projects webhook` (after AddProjectCommands).
void AddWebhookCommands(CLI::App& app, Invocation& invocation);
/// `yard projects previews` (after AddProjectCommands).
void AddPreviewCommands(CLI::App& app, Invocation& invocation);
/// Hidden: `yard internal git-hook pre-receive|post-receive`.
void AddInternalCommands(CLI::App& app, Invocation& invocation);
/// `yard ssh` and `yard ssh-config`: OpenSSH through the server's SSH gateway.
void AddSshCommands(CLI::App& app, Invocation& invocation);
/// Runs `command` in a deployment's container through the SSH gateway with a terminal
/// (`yard exec -t`): replaces this process with OpenSSH's ssh, so that the command's exit code
/// becomes yard's. Returns only when it cannot.
Status SshExec(Invocation& invocation, const std::string& target, const std::string& component,
               const std::vector<std::string>& command);
/// `yard action list|run|logs` and `yard exec` (action_commands.cc).
void AddActionCommands(CLI::App& app, Invocation& invocation);

/// Parses the command line and runs the chosen command. Returns the process exit code:
/// 0 success, 1 failure, 2 usage error.
int Main(int argc, char** argv);

}  // namespace yard::cli
