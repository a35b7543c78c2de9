#pragma once

#include <string_view>

#include "base/result.h"

namespace yard {

/// Checks a name of something users create (a user, later projects and deployments): 1 to 40
/// characters of lowercase letters, digits and '-', starting with a letter and not ending with
/// '-'. Such names are safe in hostnames, SSH user names, paths and container names.
/// `what` names the thing in the error message ("user name").
Status ValidateName(std::string_view name, std::string_view what);

inline constexpr size_t kMaxNameLength = 40;

}  // namespace yard
