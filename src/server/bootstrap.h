#pragma once

#include <string>

#include "base/result.h"
#include "store/api_tokens.h"
#include "store/database.h"
#include "store/users.h"

namespace yard::server {

/// On a store without users, creates the user "admin" with the admin role and an API token,
/// and writes the token to `token_path` (mode 0600). The file is written before the
/// transaction commits, so a crash in between leaves no admin without a token file: the next
/// start simply runs this again. Does nothing when users exist.
Status BootstrapAdmin(store::Database& db, store::UserStore& users, store::ApiTokenStore& tokens,
                      const std::string& token_path);

}  // namespace yard::server
