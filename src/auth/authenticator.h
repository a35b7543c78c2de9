#pragma once

#include <string_view>

#include "base/result.h"
#include "store/api_tokens.h"
#include "store/users.h"

namespace yard::auth {

/// Who is making a request, and with which token.
struct Principal {
  store::User user;
  store::ApiToken token;

  bool IsAdmin() const { return user.role == store::Role::kAdmin; }
};

/// Resolves bearer tokens to principals. Thread-safe.
class Authenticator {
 public:
  explicit Authenticator(store::ApiTokenStore& tokens) : tokens_(tokens) {}

  /// Takes the value of an Authorization header ("Bearer yard_..."). kUnauthenticated, with a
  /// message fit to show the client, when it is missing, malformed, unknown or expired.
  Result<Principal> Authenticate(std::string_view authorization);

 private:
  store::ApiTokenStore& tokens_;
};

}  // namespace yard::auth
