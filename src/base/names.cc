#include "base/names.h"

#include <fmt/core.h>

namespace yard {

Status ValidateName(std::string_view name, std::string_view what) {
  auto invalid = [&](std::string_view why) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid {} '{}': {}", what, name, why));
  };
  if (name.empty()) return Unexpected(ErrorCode::kInvalidArgument, fmt::format("{} is empty", what));
  if (name.size() > kMaxNameLength) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid {}: longer than {} characters", what, kMaxNameLength));
  }
  if (name.front() < 'a' || name.front() > 'z') return invalid("must start with a lowercase letter");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return invalid("use only lowercase letters, digits and '-'");
  }
  if (name.back() == '-') return invalid("must not end with '-'");
  return Ok();
}

}  // namespace yard
