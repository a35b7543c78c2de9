#pragma once

// The cryptography webhooks need, over OpenSSL: HMAC-SHA256 signatures, comparisons that take
// the same time whatever the input, and the secrets senders sign with.

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::webhooks {

/// Lowercase hex HMAC-SHA256 of `data` keyed with `key`: what GitHub, Gitea and Forgejo send.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

/// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

/// True when `a` equals `b`. Takes the same time for any two inputs of the given lengths
/// (both are hashed first, so that not even a length mismatch answers early): a forger learns
/// nothing from how long a wrong guess took.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// True when `signature` is the hex HMAC-SHA256 of `data` under `key` (either letter case).
/// False for anything that is not 64 hex digits, and for an empty key.
bool VerifyHmacSha256Hex(std::string_view key, std::string_view data, std::string_view signature);

/// A new webhook secret: 32 bytes from the system's CSPRNG, as 64 lowercase hex digits.
/// kInternal when the generator fails.
Result<std::string> GenerateSecret();

}  // namespace yard::webhooks
