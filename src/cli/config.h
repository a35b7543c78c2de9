#pragma once

// Where the client finds its server and token: flags, then the environment (YARD_SERVER,
// YARD_TOKEN), then the file `yard login` writes.

#include <optional>
#include <string>

#include "base/result.h"

namespace yard::cli {

struct Connection {
  std::string server;  // "http://HOST:PORT"
  std::string token;
};

struct StoredLogin {
  std::string server;
  std::string token;
};

/// $XDG_CONFIG_HOME/stackyard/config.json, or ~/.config/stackyard/config.json.
std::string ConfigPath();

/// The stored login; nullopt when there is none. kInvalidArgument for a corrupt file.
Result<std::optional<StoredLogin>> LoadLogin();
/// Writes the login (mode 0600, directory 0700).
Status SaveLogin(const StoredLogin& login);
/// Removes the stored login; succeeds when there was none.
Status ForgetLogin();

/// Resolves the connection from the flags given (empty when not given), the environment and
/// the stored login, field by field. kUnauthenticated with advice when nothing gives a server
/// or a token.
Result<Connection> ResolveConnection(const std::string& server_flag, const std::string& token_flag);

}  // namespace yard::cli
