#pragma once

// What every `yard` subcommand shares: the global flags and the way a command reports its
// outcome (main turns it into a message on stderr and the exit code).

#include <CLI/CLI.hpp>

#include <string>

#include "base/result.h"
#include "cli/api_client.h"

namespace yard::cli {

struct Invocation {
  std::string server;  // --server
  std::string token;   // --token
  bool json = false;   // --json
  /// Set by the subcommand that ran.
  Status status;
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
/// `yard logs`: a deployment's kept logs (log_commands.cc).
void AddLogCommands(CLI::App& app, Invocation& invocation);
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

/// Parses the command line and runs the chosen command. Returns the process exit code:
/// 0 success, 1 failure, 2 usage error.
int Main(int argc, char** argv);

}  // namespace yard::cli
