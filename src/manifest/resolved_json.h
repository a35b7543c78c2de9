#pragma once

// The fully resolved form of a stack: every default applied, as deterministic JSON (keys in a
// fixed order). Golden tests compare it; `yard stack validate --json` could show it.

#include <string>

#include "manifest/model.h"

namespace yard::manifest {

/// Pretty-printed JSON (2-space indent, trailing newline). Durations are whole seconds
/// (`*_seconds`); "every stage" is listed as the stack's stages; commands are a string (shell form)
/// or an array (exec form). Invalid UTF-8 in values is replaced by U+FFFD.
std::string ResolvedJson(const Stack& stack);

}  // namespace yard::manifest
