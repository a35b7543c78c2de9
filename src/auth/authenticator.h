#pragma once

#include <optional>
#include <string_view>

#include "base/result.h"
#include "store/api_tokens.h"
#include "store/sessions.h"
#include "store/users.h"

namespace yard::auth {

/// Who is making a request, and with which token or dashboard session.
struct Principal {
  store::User user;
  store::ApiToken token;  // id 0 when the request came with a session cookie
  std::optional<store::Session> session;

  bool IsAdmin() const { return user.role == store::Role::kAdmin; }
  /// True when authenticated by the yard_session cookie: such requests are subject to the
  /// CSRF rules (a browser sends the cookie on its own).
  bool FromSession() const { return session.has_value(); }
};

/// Resolves bearer tokens and session cookies to principals. Thread-safe.
class Authenticator {
 public:
  /// `sessions` null: session cookies are not accepted.
  explicit Authenticator(store::ApiTokenStore& tokens, store::SessionStore* sessions = nullptr)
      : tokens_(tokens), sessions_(sessions) {}

  /// Takes the value of an Authorization header ("Bearer yard_..."). kUnauthenticated, with a
  /// message fit to show the client, when it is missing, malformed, unknown or expired.
  Result<Principal> Authenticate(std::string_view authorization);
  /// The same for a token's secret alone ("yard_..."), as the dashboard's sign-in sends it.
  Result<Principal> AuthenticateToken(std::string_view secret);
  /// Takes the secret of a yard_session cookie. kUnauthenticated when it is malformed,
  /// unknown or expired (signed out), or when sessions are off.
  Result<Principal> AuthenticateSession(std::string_view secret);

 private:
  store::ApiTokenStore& tokens_;
  store::SessionStore* sessions_;
};

}  // namespace yard::auth
