#include <cstdio>

#include "base/version.h"
#include "cli/command.h"
#include "cli/config.h"
#include "cli/output.h"

namespace yard::cli {
namespace {

void AddVersionCommand(CLI::App& app, Invocation& invocation) {
  auto* command = app.add_subcommand("version", "Show the client's and the server's version");
  command->callback([&invocation] {
    Json out = {{"client", kVersion}};
    auto client = Connect(invocation);
    if (client) {
      auto server = client->Get("/api/v1/version");
      out["server"] = server ? (*server)["version"] : Json(nullptr);
    }
    if (invocation.json) {
      PrintJson(out);
    } else {
      std::printf("client  %s\n", kVersion);
      if (!out.value("server", Json()).is_null()) {
        std::printf("server  %s\n", out["server"].get<std::string>().c_str());
      }
    }
  });
}

}  // namespace

Result<ApiClient> Connect(const Invocation& invocation) {
  Connection connection = TRY(ResolveConnection(invocation.server, invocation.token));
  return ApiClient::Create(connection.server, connection.token);
}

int Main(int argc, char** argv) {
  CLI::App app(
      "Stackyard: deployments of your stack from a Git repository.\n"
      "`yard server` runs the server; every other command talks to one.",
      "yard");
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  // Global flags may also come after the subcommand: `yard whoami --json`.
  app.fallthrough();
  Invocation invocation;
  app.add_option("--server", invocation.server,
                 "Server URL (default: $YARD_SERVER, then the one from `yard login`)");
  app.add_option("--token", invocation.token,
                 "API token (default: $YARD_TOKEN, then the one from `yard login`)");
  app.add_flag("--json", invocation.json, "Print one JSON document instead of tables");

  AddServerCommand(app, invocation);
  AddLoginCommands(app, invocation);
  AddTokenCommands(app, invocation);
  AddKeyCommands(app, invocation);
  AddUserCommands(app, invocation);
  AddProjectCommands(app, invocation);
  AddMemberCommands(app, invocation);
  AddWebhookCommands(app, invocation);
  AddPreviewCommands(app, invocation);
  AddDeploymentCommands(app, invocation);
  AddTrashCommands(app, invocation);
  AddBuildCommands(app, invocation);
  AddCloneCommands(app, invocation);
  AddLogCommands(app, invocation);
  AddStatusCommands(app, invocation);
  AddResourceCommands(app, invocation);
  AddEnvCommands(app, invocation);
  AddEventCommands(app, invocation);
  AddActionCommands(app, invocation);
  AddDomainCommands(app, invocation);
  AddStackCommands(app, invocation);
  AddSshCommands(app, invocation);
  AddVersionCommand(app, invocation);
  AddInternalCommands(app, invocation);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a hint to --help
    return ExitCodeFor(ErrorCode::kUsage);
  }
  if (!invocation.status) {
    const Error& error = invocation.status.error();
    if (invocation.json) {
      Json body = {{"error", {{"code", ErrorCodeName(error.code)}, {"message", error.message}}}};
      std::fprintf(stderr, "%s\n", body.dump().c_str());
    } else {
      std::fprintf(stderr, "yard: error: %s\n", error.message.c_str());
    }
    return ExitCodeFor(error.code);
  }
  return invocation.exit_code;
}

}  // namespace yard::cli
