#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "store/api_tokens.h"

namespace yard::auth {

struct IssuedToken {
  store::ApiToken token;
  std::string secret;  // shown to the user once, never stored
};

/// Creates a token for `user_id` and stores its hash. `name` must be non-empty.
Result<IssuedToken> IssueToken(store::ApiTokenStore& tokens, int64_t user_id,
                               const std::string& name, std::optional<int64_t> expires_at);

/// Checks a token or key name given by a user: 1 to 64 printable characters.
Status ValidateLabel(std::string_view label, std::string_view what);

}  // namespace yard::auth
