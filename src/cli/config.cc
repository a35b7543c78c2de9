#include "cli/config.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace yard::cli {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string ConfigDir() {
  std::string base = Env("XDG_CONFIG_HOME");
  if (base.empty()) base = fs::Join(Env("HOME").empty() ? "." : Env("HOME"), ".config");
  return fs::Join(base, "stackyard");
}

}  // namespace

std::string ConfigPath() { return fs::Join(ConfigDir(), "config.json"); }

Result<std::optional<StoredLogin>> LoadLogin() {
  auto text = fs::ReadFile(ConfigPath(), 1024 * 1024);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<StoredLogin>();
    return Unexpected(text.error());
  }
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.value("server", nlohmann::json()).is_string() ||
      !json.value("token", nlohmann::json()).is_string()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      ConfigPath() + " is corrupt; run `yard login` again");
  }
  return std::optional<StoredLogin>(
      StoredLogin{json["server"].get<std::string>(), json["token"].get<std::string>()});
}

Status SaveLogin(const StoredLogin& login) {
  TRY(fs::CreateDirectories(ConfigDir(), 0700));
  nlohmann::json json = {{"server", login.server}, {"token", login.token}};
  return fs::AtomicWriteFile(ConfigPath(), json.dump(2) + "\n", 0600);
}

Status ForgetLogin() { return fs::RemoveFile(ConfigPath()); }

Result<Connection> ResolveConnection(const std::string& server_flag, const std::string& token_flag) {
  Connection connection{server_flag, token_flag};
  if (connection.server.empty()) connection.server = Env("YARD_SERVER");
  if (connection.token.empty()) connection.token = Env("YARD_TOKEN");
  if (connection.server.empty() || connection.token.empty()) {
    auto stored = TRY(LoadLogin());
    if (stored) {
      if (connection.server.empty()) connection.server = stored->server;
      if (connection.token.empty()) connection.token = stored->token;
    }
  }
  if (connection.server.empty() || connection.token.empty()) {
    return Unexpected(ErrorCode::kUnauthenticated,
                      "not logged in: run `yard login --server URL --token TOKEN`, or set "
                      "YARD_SERVER and YARD_TOKEN, or pass --server and --token");
  }
  return connection;
}

}  // namespace yard::cli
