#pragma once

// Parsing stackyard.yaml into a Stack: syntax, types, allowed keys and per-item rules, with
// every default applied. Cross-item and repository checks are in validate.h; manifest.h runs
// both.

#include <string>
#include <string_view>
#include <vector>

#include "manifest/diagnostics.h"
#include "manifest/model.h"

namespace yard::manifest {

/// Manifests larger than this are refused before they are parsed.
inline constexpr size_t kMaxManifestBytes = 1 << 20;

struct ParseResult {
  /// What could be read: items with errors may be missing or partly filled.
  Stack stack;
  /// Errors and warnings in the order found.
  std::vector<Diagnostic> diagnostics;

  bool ok() const;
};

/// Parses a manifest. `file` is the name diagnostics carry ("stackyard.yaml"). Never throws
/// and never aborts on any input: every problem, YAML syntax included, is a diagnostic.
ParseResult ParseManifest(std::string_view text, const std::string& file);

}  // namespace yard::manifest
