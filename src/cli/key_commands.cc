#include <cstdlib>
#include <iostream>
#include <iterator>

#include <fmt/core.h>

#include "base/fs.h"
#include "cli/command.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

struct AddOptions {
  std::string file;
  std::string name;
};

// The public key a user most likely means when they name none: OpenSSH's default files.
Result<std::string> DefaultKeyFile() {
  const char* home = std::getenv("HOME");
  for (const char* name : {"id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"}) {
    std::string path = fs::Join(fs::Join(home ? home : ".", ".ssh"), name);
    if (fs::Exists(path)) return path;
  }
  return Unexpected(ErrorCode::kUsage,
                    "no public key given and none found in ~/.ssh; create one with "
                    "`ssh-keygen -t ed25519` or name the file: `yard keys add FILE`");
}

Status Add(Invocation& invocation, const AddOptions& options) {
  std::string text;
  if (options.file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::string path = options.file.empty() ? TRY(DefaultKeyFile()) : options.file;
    text = TRY(fs::ReadFile(path, 64 * 1024));
    if (!invocation.json && options.file.empty()) {
      std::fprintf(stderr, "Adding %s\n", path.c_str());
    }
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  ApiClient client = TRY(Connect(invocation));
  Json body = {{"public_key", text}};
  if (!options.name.empty()) body["name"] = options.name;
  Json added = TRY(client.Post("/api/v1/users/me/keys", body));
  if (invocation.json) {
    PrintJson(added);
  } else {
    const Json& key = added["key"];
    std::printf("Added key %s (%s, %s %s bits, id %s).\n", Cell(key, "name").c_str(),
                Cell(key, "fingerprint").c_str(), Cell(key, "type").c_str(),
                Cell(key, "bits").c_str(), Cell(key, "id").c_str());
  }
  return Ok();
}

Status List(Invocation& invocation) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get("/api/v1/users/me/keys"));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"ID", "NAME", "TYPE", "BITS", "FINGERPRINT", "ADDED", "LAST USED"});
  for (const Json& key : listed["keys"]) {
    table.AddRow({Cell(key, "id"), Cell(key, "name"), Cell(key, "type"), Cell(key, "bits"),
                  Cell(key, "fingerprint"), Cell(key, "created_at"), Cell(key, "last_used_at")});
  }
  table.Print("No SSH keys. Add one with `yard keys add`.");
  return Ok();
}

Status Remove(Invocation& invocation, const std::string& key) {
  ApiClient client = TRY(Connect(invocation));
  TRY(client.Delete("/api/v1/users/me/keys/" + http::PercentEncode(key)));
  if (invocation.json) {
    PrintJson({{"removed", key}});
  } else {
    std::printf("Removed key %s.\n", key.c_str());
  }
  return Ok();
}

}  // namespace

void AddKeyCommands(CLI::App& app, Invocation& invocation) {
  auto* keys = app.add_subcommand("keys", "Manage the SSH public keys of your profile");
  keys->require_subcommand(1);

  auto add_options = std::make_shared<AddOptions>();
  auto* add = keys->add_subcommand("add", "Add an SSH public key to your profile");
  add->footer(
      "Accepted: ed25519, ECDSA (P-256/384/521), RSA of 2048 bits or more.\n"
      "FILE is a .pub file, or - for standard input; without it ~/.ssh/id_ed25519.pub,\n"
      "id_ecdsa.pub or id_rsa.pub is used.");
  add->add_option("file", add_options->file, "The public key file");
  add->add_option("--name", add_options->name, "A name for the key (default: its comment)");
  add->callback([&invocation, add_options] { invocation.status = Add(invocation, *add_options); });

  auto* list = keys->add_subcommand("list", "List your SSH keys");
  list->callback([&invocation] { invocation.status = List(invocation); });

  auto key = std::make_shared<std::string>();
  auto* remove = keys->add_subcommand("remove", "Remove a key by id or fingerprint");
  remove->add_option("key", *key, "The key's id or SHA256:... fingerprint")->required();
  remove->callback([&invocation, key] { invocation.status = Remove(invocation, *key); });
}

}  // namespace yard::cli
