#include <fmt/core.h>

#include "cli/command.h"
#include "cli/output.h"

namespace yard::cli {
namespace {

struct CreateOptions {
  std::string name;
  int64_t expires_in_days = 0;
};

Status Create(Invocation& invocation, const CreateOptions& options) {
  ApiClient client = TRY(Connect(invocation));
  Json body = Json::object();
  if (!options.name.empty()) body["name"] = options.name;
  if (options.expires_in_days > 0) body["expires_in_days"] = options.expires_in_days;
  Json created = TRY(client.Post("/api/v1/users/me/tokens", body));
  if (invocation.json) {
    PrintJson(created);
    return Ok();
  }
  std::printf("Created token %s (id %s). Copy it now: it is not shown again.\n\n%s\n",
              Cell(created["token"], "name").c_str(), Cell(created["token"], "id").c_str(),
              Cell(created, "secret").c_str());
  return Ok();
}

Status List(Invocation& invocation) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get("/api/v1/users/me/tokens"));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"ID", "NAME", "PREFIX", "CREATED", "LAST USED", "EXPIRES", ""});
  for (const Json& token : listed["tokens"]) {
    table.AddRow({Cell(token, "id"), Cell(token, "name"), Cell(token, "prefix") + "…",
                  Cell(token, "created_at"), Cell(token, "last_used_at"),
                  Cell(token, "expires_at"), token.value("current", false) ? "(this one)" : ""});
  }
  table.Print("No tokens.");
  return Ok();
}

Status Revoke(Invocation& invocation, const std::string& id) {
  ApiClient client = TRY(Connect(invocation));
  TRY(client.Delete("/api/v1/users/me/tokens/" + id));
  if (invocation.json) {
    PrintJson({{"revoked", id}});
  } else {
    std::printf("Revoked token %s.\n", id.c_str());
  }
  return Ok();
}

}  // namespace

void AddTokenCommands(CLI::App& app, Invocation& invocation) {
  auto* tokens = app.add_subcommand("tokens", "Manage your API tokens");
  tokens->require_subcommand(1);

  auto create_options = std::make_shared<CreateOptions>();
  auto* create = tokens->add_subcommand("create", "Create a token (shown once)");
  create->add_option("--name", create_options->name, "A name to recognise it by");
  create->add_option("--expires-in-days", create_options->expires_in_days,
                     "Expire after this many days (default: never)")
      ->check(CLI::Range(1, 3650));
  create->callback([&invocation, create_options] {
    invocation.status = Create(invocation, *create_options);
  });

  auto* list = tokens->add_subcommand("list", "List your tokens");
  list->callback([&invocation] { invocation.status = List(invocation); });

  auto id = std::make_shared<std::string>();
  auto* revoke = tokens->add_subcommand("revoke", "Revoke a token by id");
  revoke->add_option("id", *id, "The token's id (see `yard tokens list`)")
      ->required()
      ->check(CLI::PositiveNumber);
  revoke->callback([&invocation, id] { invocation.status = Revoke(invocation, *id); });
}

}  // namespace yard::cli
