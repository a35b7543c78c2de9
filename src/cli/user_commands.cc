// `yard users create|list|passwd`: user administration, and passwords for the dashboard.

#include <fmt/core.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

// One line from stdin without its line ending, echoed or not.
Result<std::string> ReadLine(bool echo) {
  termios saved{};
  bool silenced = !echo && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (silenced) {
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string line;
  bool read = static_cast<bool>(std::getline(std::cin, line));
  if (silenced) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!read) return Unexpected(ErrorCode::kUsage, "no password given (end of input)");
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

Result<std::string> Prompt(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  return ReadLine(false);
}

// A new password: one line of stdin with --password-stdin, else asked for twice on the
// terminal, without echo.
Result<std::string> ReadNewPassword(bool from_stdin) {
  if (from_stdin) return ReadLine(true);
  if (!::isatty(STDIN_FILENO)) {
    return Unexpected(ErrorCode::kUsage,
                      "stdin is not a terminal: pass the password with --password-stdin");
  }
  std::string password = TRY(Prompt("New password: "));
  std::string again = TRY(Prompt("New password again: "));
  if (password != again) return Unexpected(ErrorCode::kUsage, "the passwords differ");
  return password;
}

Status Create(Invocation& invocation, const std::string& name, bool admin, bool password_stdin) {
  Json body = {{"name", name}, {"role", admin ? "admin" : "user"}};
  if (password_stdin) body["password"] = TRY(ReadNewPassword(true));
  ApiClient client = TRY(Connect(invocation));
  Json created = TRY(client.Post("/api/v1/users", body));
  if (invocation.json) {
    PrintJson(created);
    return Ok();
  }
  std::printf(
      "Created user %s (%s). Their first API token (shown once):\n\n%s\n\n"
      "They log in with: yard login --server %s --token <token>\n",
      Cell(created["user"], "name").c_str(), Cell(created["user"], "role").c_str(),
      Cell(created, "secret").c_str(), client.server().c_str());
  if (password_stdin) std::printf("They can sign in to the dashboard with the password.\n");
  return Ok();
}

Status List(Invocation& invocation) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get("/api/v1/users"));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"ID", "NAME", "ROLE", "CREATED"});
  for (const Json& user : listed["users"]) {
    table.AddRow(
        {Cell(user, "id"), Cell(user, "name"), Cell(user, "role"), Cell(user, "created_at")});
  }
  table.Print("No users.");
  return Ok();
}

// Without a user: the caller's own password (the current one is needed when one is set);
// with one: an admin sets that user's password.
Status Passwd(Invocation& invocation, const std::string& user, bool password_stdin) {
  if (!password_stdin && !::isatty(STDIN_FILENO)) {
    return Unexpected(ErrorCode::kUsage,
                      "stdin is not a terminal: pass the password with --password-stdin");
  }
  ApiClient client = TRY(Connect(invocation));
  Json body = Json::object();
  std::string path;
  if (user.empty()) {
    Json me = TRY(client.Get("/api/v1/users/me"));
    if (me.value("has_password", false)) {
      std::string current = TRY(password_stdin ? ReadLine(true) : Prompt("Current password: "));
      body["current_password"] = current;
    }
    path = "/api/v1/users/me/password";
  } else {
    path = "/api/v1/users/" + http::PercentEncode(user) + "/password";
  }
  body["password"] = TRY(ReadNewPassword(password_stdin));
  Json changed = TRY(client.Call("PUT", path, &body));
  if (invocation.json) {
    PrintJson(changed);
    return Ok();
  }
  int64_t ended = changed.value("sessions_ended", int64_t{0});
  std::string signed_out = ended == 0 ? ""
                                      : fmt::format(" {} other dashboard session{} signed out.",
                                                    ended, ended == 1 ? "" : "s");
  std::printf("Password of %s set.%s\n", Cell(changed["user"], "name").c_str(), signed_out.c_str());
  return Ok();
}

}  // namespace

void AddUserCommands(CLI::App& app, Invocation& invocation) {
  auto* users = app.add_subcommand("users", "Manage users (admins only)");
  users->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto admin = std::make_shared<bool>(false);
  auto create_stdin = std::make_shared<bool>(false);
  auto* create = users->add_subcommand("create", "Create a user and their first API token");
  create->add_option("name", *name, "Lowercase letters, digits and '-'")->required();
  create->add_flag("--admin", *admin, "Give the user the admin role");
  create->add_flag("--password-stdin", *create_stdin,
                   "Also give them a password for the dashboard, read as one line from stdin "
                   "(at least 8 characters)");
  create->callback([&invocation, name, admin, create_stdin] {
    invocation.status = Create(invocation, *name, *admin, *create_stdin);
  });

  auto* list = users->add_subcommand("list", "List users");
  list->callback([&invocation] { invocation.status = List(invocation); });

  auto target = std::make_shared<std::string>();
  auto passwd_stdin = std::make_shared<bool>(false);
  auto* passwd = users->add_subcommand(
      "passwd",
      "Set a password for signing in to the dashboard. Without USER: your own (asks for the "
      "current one when you have one); with USER: that user's (admins only). Either way the "
      "user's other dashboard sessions are signed out. API tokens are not affected.");
  passwd->add_option("user", *target, "Whose password to set (admins); default: yours");
  passwd->add_flag("--password-stdin", *passwd_stdin,
                   "Read the new password as one line from stdin instead of asking twice on "
                   "the terminal; for your own password when you have one, the current "
                   "password is read first, on its own line");
  passwd->callback([&invocation, target, passwd_stdin] {
    invocation.status = Passwd(invocation, *target, *passwd_stdin);
  });
}

}  // namespace yard::cli
