#pragma once

// API token secrets: "yard_" followed by 40 base62 characters (about 238 random bits). Only
// a SHA-256 hash of a secret is stored; the secret is shown once, when it is created.

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::auth {

inline constexpr std::string_view kTokenPrefix = "yard_";

struct NewToken {
  std::string secret;  // give to the user once; never store
  std::string hash;    // HashToken(secret): what the store keeps
  std::string prefix;  // the first characters, shown in listings to recognise a token
};

/// Draws a new secret from the operating system's CSPRNG. kInternal if it is unavailable.
Result<NewToken> GenerateToken();

/// Lowercase hex SHA-256 of the secret.
std::string HashToken(std::string_view secret);

/// True when `text` has the shape of a token (prefix, length, alphabet); a cheap check before
/// a store lookup.
bool LooksLikeToken(std::string_view text);

}  // namespace yard::auth
