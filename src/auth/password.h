#pragma once

// Passwords for signing in to the dashboard. Only a salted scrypt hash is stored, in a
// PHC-like string that carries its own cost parameters:
//
//   $scrypt$ln=15,r=8,p=1$<salt, base64>$<hash, base64>
//
// (standard base64 without padding; a 16-byte salt and a 32-byte hash). Verification uses
// the parameters of the stored string, so that the cost can be raised later without
// invalidating existing hashes.

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::auth {

inline constexpr size_t kMinPasswordChars = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;

/// scrypt's cost: N = 2^log_n, block size r, parallelism p. The default takes about 32 MiB
/// and a tenth of a second per hash; tests lower log_n.
struct ScryptParams {
  int log_n = 15;
  int r = 8;
  int p = 1;
};

/// kInvalidArgument, saying what is wrong, unless `password` has 8 characters (UTF-8 code
/// points) or more and at most 1024 bytes.
Status ValidatePassword(std::string_view password);

/// Hashes a valid password with a fresh random salt. kInternal if the random generator or
/// scrypt fails.
Result<std::string> HashPassword(std::string_view password, const ScryptParams& params = {});

/// True when `password` matches `stored` (compared in constant time). kInvalidArgument when
/// `stored` is not a hash HashPassword could have made (or asks for an unreasonable cost).
Result<bool> VerifyPassword(std::string_view password, std::string_view stored);

}  // namespace yard::auth
