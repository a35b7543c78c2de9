#include <fmt/core.h>

#include "cli/command.h"
#include "cli/output.h"

namespace yard::cli {
namespace {

Status Create(Invocation& invocation, const std::string& name, bool admin) {
  ApiClient client = TRY(Connect(invocation));
  Json created =
      TRY(client.Post("/api/v1/users", {{"name", name}, {"role", admin ? "admin" : "user"}}));
  if (invocation.json) {
    PrintJson(created);
    return Ok();
  }
  std::printf("Created user %s (%s). Their first API token (shown once):\n\n%s\n\n"
              "They log in with: yard login --server %s --token <token>\n",
              Cell(created["user"], "name").c_str(), Cell(created["user"], "role").c_str(),
              Cell(created, "secret").c_str(), client.server().c_str());
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
    table.AddRow({Cell(user, "id"), Cell(user, "name"), Cell(user, "role"),
                  Cell(user, "created_at")});
  }
  table.Print("No users.");
  return Ok();
}

}  // namespace

void AddUserCommands(CLI::App& app, Invocation& invocation) {
  auto* users = app.add_subcommand("users", "Manage users (admins only)");
  users->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto admin = std::make_shared<bool>(false);
  auto* create = users->add_subcommand("create", "Create a user and their first API token");
  create->add_option("name", *name, "Lowercase letters, digits and '-'")->required();
  create->add_flag("--admin", *admin, "Give the user the admin role");
  create->callback([&invocation, name, admin] {
    invocation.status = Create(invocation, *name, *admin);
  });

  auto* list = users->add_subcommand("list", "List users");
  list->callback([&invocation] { invocation.status = List(invocation); });
}

}  // namespace yard::cli
