#include <unistd.h>

#include <iostream>

#include <fmt/core.h>

#include "base/fs.h"
#include "cli/command.h"
#include "cli/config.h"
#include "cli/output.h"

namespace yard::cli {
namespace {

std::string Trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

// Server and token of a server on this machine, from its data dir (root can read admin.token).
Status ReadLocalServer(const std::string& data_dir, std::string& server, std::string& token) {
  auto info_text = TRY_CTX(fs::ReadFile(fs::Join(data_dir, "server.json")),
                           "is a server running on this data dir?");
  auto info = Json::parse(info_text, nullptr, false);
  if (info.is_discarded() || !info.value("api", Json()).is_string()) {
    return Unexpected(ErrorCode::kInvalidArgument, data_dir + "/server.json is not valid");
  }
  if (server.empty()) server = info["api"].get<std::string>();
  if (token.empty()) token = Trim(TRY(fs::ReadFile(fs::Join(data_dir, "admin.token"))));
  return Ok();
}

Status Login(Invocation& invocation, const std::string& data_dir) {
  std::string server = invocation.server;
  std::string token = invocation.token;
  if (!data_dir.empty()) TRY(ReadLocalServer(data_dir, server, token));
  if (server.empty()) {
    return Unexpected(ErrorCode::kUsage, "give the server with --server URL (or --data-dir DIR)");
  }
  if (token.empty() || token == "-") {
    if (token.empty() && ::isatty(STDIN_FILENO)) std::fprintf(stderr, "API token: ");
    std::getline(std::cin, token);
    token = Trim(token);
    if (token.empty()) return Unexpected(ErrorCode::kUsage, "no token given");
  }
  ApiClient client = TRY(ApiClient::Create(server, token));
  Json me = TRY_CTX(client.Get("/api/v1/users/me"), "login failed");
  TRY(SaveLogin(StoredLogin{server, token}));
  if (invocation.json) {
    PrintJson({{"server", server}, {"user", me}, {"config", ConfigPath()}});
  } else {
    std::printf("Logged in to %s as %s (%s).\nCredentials saved in %s\n", server.c_str(),
                Cell(me, "name").c_str(), Cell(me, "role").c_str(), ConfigPath().c_str());
  }
  return Ok();
}

Status Whoami(Invocation& invocation) {
  ApiClient client = TRY(Connect(invocation));
  Json me = TRY(client.Get("/api/v1/users/me"));
  if (invocation.json) {
    PrintJson({{"server", client.server()}, {"user", me}});
  } else {
    std::printf("%s (%s) on %s\n", Cell(me, "name").c_str(), Cell(me, "role").c_str(),
                client.server().c_str());
  }
  return Ok();
}

}  // namespace

void AddLoginCommands(CLI::App& app, Invocation& invocation) {
  auto* login = app.add_subcommand("login", "Check a server and token and remember them");
  login->footer(
      "Examples:\n"
      "  yard login --server http://127.0.0.1:8420 --token yard_...\n"
      "  yard login --data-dir /var/lib/stackyard   (as the server's admin, on its machine)\n"
      "Without --token the token is read from standard input. The login is stored in\n"
      "~/.config/stackyard/config.json (mode 0600); `yard logout` forgets it.");
  auto data_dir = std::make_shared<std::string>();
  login->add_option("--data-dir", *data_dir,
                    "Log in as the admin of the server running on this data dir");
  login->callback([&invocation, data_dir] { invocation.status = Login(invocation, *data_dir); });

  auto* logout = app.add_subcommand("logout", "Forget the stored server and token");
  logout->callback([&invocation] {
    invocation.status = ForgetLogin();
    if (invocation.status && !invocation.json) std::printf("Logged out.\n");
    if (invocation.status && invocation.json) PrintJson({{"logged_out", true}});
  });

  auto* whoami = app.add_subcommand("whoami", "Show who you are logged in as, and where");
  whoami->callback([&invocation] { invocation.status = Whoami(invocation); });
}

}  // namespace yard::cli
