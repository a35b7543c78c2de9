#pragma once

// Checks and normalises the two kinds of paths a manifest holds: paths inside the repository
// (folders, build contexts, Dockerfiles) and paths inside a container (mounts, workdir).

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::manifest {

/// Joins `base` (a normalised repository path, "." for the root) and a relative `path`, and
/// normalises the result: no empty or "." segments, ".." resolved. "." for the root itself.
/// kInvalidArgument for an absolute path, a NUL, a backslash, or a result that escapes the
/// repository.
Result<std::string> JoinRepositoryPath(std::string_view base, std::string_view path);

/// Checks an absolute path inside a container: starts with '/', no "." or ".." segments, no
/// empty segments, no NUL, not "/" itself, at most 4096 bytes. Returns it without a trailing
/// slash. kInvalidArgument otherwise.
Result<std::string> NormalizeContainerPath(std::string_view path);

/// A DNS label as used for ids: 1 to 40 lowercase letters, digits and '-', starting with a
/// letter and not ending with '-'. Returns why not, or empty when it is one.
std::string WhyNotId(std::string_view id);

}  // namespace yard::manifest
