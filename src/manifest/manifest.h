#pragma once

// The module's front door: parse and validate a stackyard.yaml in one call.

#include <string>
#include <string_view>

#include "manifest/parser.h"
#include "manifest/repository_view.h"

namespace yard::manifest {

/// The file name a project's manifest has at the repository root.
inline constexpr std::string_view kManifestFileName = "stackyard.yaml";

/// Parses `text` and, when it parsed, cross-checks it against `repository` (may be null to
/// skip the repository checks). Diagnostics come sorted by position. Never throws.
ParseResult LoadManifest(std::string_view text, const std::string& file,
                         RepositoryView* repository);

}  // namespace yard::manifest
