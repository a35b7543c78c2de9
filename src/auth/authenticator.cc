#include "auth/authenticator.h"

#include <strings.h>

#include "auth/token.h"
#include "base/log.h"

namespace yard::auth {

Result<Principal> Authenticator::Authenticate(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.empty()) {
    return Unexpected(ErrorCode::kUnauthenticated,
                      "missing credentials: send 'Authorization: Bearer <token>'");
  }
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return Unexpected(ErrorCode::kUnauthenticated,
                      "unsupported authorization scheme: send 'Authorization: Bearer <token>'");
  }
  std::string_view secret = authorization.substr(kScheme.size());
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  return AuthenticateToken(secret);
}

Result<Principal> Authenticator::AuthenticateToken(std::string_view secret) {
  // A malformed token is rejected without a store lookup; the message is the same as for an
  // unknown one so that it reveals nothing about which tokens exist.
  constexpr std::string_view kInvalid = "invalid or expired token";
  if (!LooksLikeToken(secret)) return Unexpected(ErrorCode::kUnauthenticated, std::string(kInvalid));
  auto found = tokens_.FindByHash(HashToken(secret));
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Unexpected(ErrorCode::kUnauthenticated, std::string(kInvalid));
    }
    return Unexpected(found.error());
  }
  auto& [token, user] = *found;
  if (Status touched = tokens_.Touch(token); !touched) {
    // Bookkeeping only: a failed write must not turn a valid request away.
    log::Warn("recording use of token {}: {}", token.id, touched.error().message);
  }
  return Principal{std::move(user), std::move(token), std::nullopt};
}

Result<Principal> Authenticator::AuthenticateSession(std::string_view secret) {
  constexpr std::string_view kExpired = "session expired or signed out: sign in again";
  // Secrets are 64 lowercase hex digits (auth/session.h); anything else is not looked up.
  bool well_formed = secret.size() == 64 && secret.find_first_not_of("0123456789abcdef") ==
                                                std::string_view::npos;
  if (sessions_ == nullptr || !well_formed) {
    return Unexpected(ErrorCode::kUnauthenticated, std::string(kExpired));
  }
  auto found = sessions_->FindBySecretHash(HashToken(secret));
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Unexpected(ErrorCode::kUnauthenticated, std::string(kExpired));
    }
    return Unexpected(found.error());
  }
  auto& [session, user] = *found;
  if (Status touched = sessions_->Touch(session); !touched) {
    log::Warn("recording use of session {}: {}", session.id, touched.error().message);
  }
  return Principal{std::move(user), store::ApiToken{}, std::move(session)};
}

}  // namespace yard::auth
