#pragma once

// The `${...}` syntax of env values, build args and commands (docs/manifest.md,
// "Interpolation"). Parsing here only checks the syntax and splits the text; evaluating it
// (values, params, generators, cycle detection) belongs to the resolver.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace yard::manifest {

enum class PieceKind {
  kLiteral,   // text, with `$$` already turned into `$`
  kVariable,  // ${NAME}: name
  kParam,     // ${param:ID}: name
  kGenerate,  // ${generate:KIND[:N]}: name = KIND, length = N (or the kind's default)
};

enum class GeneratorKind { kPassword, kHex, kUuid };

struct Piece {
  PieceKind kind = PieceKind::kLiteral;
  std::string text;  // kLiteral: the text; otherwise the reference as written, `${...}` included
  std::string name;
  GeneratorKind generator = GeneratorKind::kPassword;
  int length = 0;  // kGenerate: characters to generate (0 for uuid)
};

/// Splits a value into literal text and references. kInvalidArgument, with a message for the
/// manifest's author, on an unterminated `${`, an empty or malformed reference, an unknown
/// generator or a length out of range.
Result<std::vector<Piece>> ParseTemplate(std::string_view text);

bool IsEnvName(std::string_view name);
bool IsParamId(std::string_view id);

}  // namespace yard::manifest
