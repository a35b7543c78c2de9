#pragma once

// How stored objects look in API responses. One function per type, so that every route shows
// an object the same way.

#include "api/json.h"
#include "store/api_tokens.h"
#include "store/ssh_keys.h"
#include "store/users.h"

namespace yard::api {

Json UserView(const store::User& user);
/// Never includes the secret or its hash.
Json TokenView(const store::ApiToken& token);
Json KeyView(const store::SshKey& key);

/// Unix seconds as an RFC 3339 string, or null.
Json TimeView(std::optional<int64_t> unix_seconds);

}  // namespace yard::api
