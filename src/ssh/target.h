#pragma once

// Where an SSH connection goes, read from its user name: the gateway routes by it, since one
// port serves every deployment. `git` is Git over SSH; `DEPLOYMENT.PROJECT` is the
// deployment's primary component; `COMPONENT.DEPLOYMENT.PROJECT` a given component or add-on.
// Names cannot contain dots (base/names.h), so the split is never ambiguous.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::ssh {

inline constexpr std::string_view kGitUser = "git";

struct SshTarget {
  enum class Kind { kGit, kDeployment };
  Kind kind = Kind::kDeployment;
  std::string project;
  std::string deployment;
  /// A component or add-on id; empty: the deployment's primary component.
  std::string component;

  bool operator==(const SshTarget&) const = default;
};

/// Parses an SSH user name. kInvalidArgument, with a message fit to show the user (it says
/// the forms that work), for anything else.
Result<SshTarget> ParseSshUser(std::string_view user);

/// The user name that reaches `target` (the inverse of ParseSshUser).
std::string SshUser(const SshTarget& target);

}  // namespace yard::ssh
