#include "auth/credentials.h"

#include <fmt/core.h>

#include "auth/token.h"

namespace yard::auth {

Result<IssuedToken> IssueToken(store::ApiTokenStore& tokens, int64_t user_id,
                               const std::string& name, std::optional<int64_t> expires_at) {
  TRY(ValidateLabel(name, "token name"));
  NewToken secret = TRY(GenerateToken());
  store::ApiToken token = TRY(tokens.Create(user_id, name, secret.hash, secret.prefix, expires_at));
  return IssuedToken{std::move(token), std::move(secret.secret)};
}

Status ValidateLabel(std::string_view label, std::string_view what) {
  constexpr size_t kMaxLabel = 64;
  if (label.empty()) return Unexpected(ErrorCode::kInvalidArgument, fmt::format("{} is empty", what));
  if (label.size() > kMaxLabel) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{} is longer than {} characters", what, kMaxLabel));
  }
  for (char c : label) {
    // Control characters would corrupt terminal tables and logs.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("{} contains a control character", what));
    }
  }
  return Ok();
}

}  // namespace yard::auth
