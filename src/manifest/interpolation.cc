#include "manifest/interpolation.h"

#include <fmt/core.h>

#include <charconv>

namespace yard::manifest {
namespace {

constexpr int kMinGeneratedLength = 8;
constexpr int kMaxGeneratedLength = 256;

Unexpected Invalid(std::string message) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(message));
}

Result<Piece> ParseGenerator(std::string_view spec, std::string reference) {
  Piece piece{PieceKind::kGenerate, std::move(reference), "", GeneratorKind::kPassword, 0};
  std::string_view kind = spec.substr(0, spec.find(':'));
  std::string_view argument;
  bool has_argument = spec.find(':') != std::string_view::npos;
  if (has_argument) argument = spec.substr(spec.find(':') + 1);
  piece.name = std::string(kind);
  int default_length = 0;
  if (kind == "password") {
    piece.generator = GeneratorKind::kPassword;
    default_length = 32;
  } else if (kind == "hex") {
    piece.generator = GeneratorKind::kHex;
    default_length = 64;
  } else if (kind == "uuid") {
    piece.generator = GeneratorKind::kUuid;
    if (has_argument) return Invalid(fmt::format("{}: uuid takes no length", piece.text));
    return piece;
  } else {
    return Invalid(fmt::format("{}: unknown generator \"{}\"; expected password, hex or uuid",
                               piece.text, kind));
  }
  piece.length = default_length;
  if (has_argument) {
    int length = 0;
    auto [end, error] = std::from_chars(argument.data(), argument.data() + argument.size(), length);
    if (error != std::errc() || end != argument.data() + argument.size() ||
        length < kMinGeneratedLength || length > kMaxGeneratedLength) {
      return Invalid(fmt::format("{}: length must be an integer {}..{}", piece.text,
                                 kMinGeneratedLength, kMaxGeneratedLength));
    }
    piece.length = length;
  }
  return piece;
}

}  // namespace

bool IsEnvName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsParamId(std::string_view id) {
  if (id.empty() || id.size() > 40 || id[0] < 'a' || id[0] > 'z') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<std::vector<Piece>> ParseTemplate(std::string_view text) {
  std::vector<Piece> pieces;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) pieces.push_back({PieceKind::kLiteral, std::move(literal), "", {}, 0});
    literal.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size() || (text[i + 1] != '$' && text[i + 1] != '{')) {
      literal += c;
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      literal += '$';
      i += 2;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Invalid("unterminated \"${\" (missing \"}\"; write \"$$\" for a literal \"$\")");
    }
    std::string reference(text.substr(i, close + 1 - i));
    std::string_view inner = text.substr(i + 2, close - i - 2);
    flush();
    if (inner.empty()) return Invalid("empty reference \"${}\"");
    if (inner.starts_with("param:")) {
      std::string_view id = inner.substr(6);
      if (!IsParamId(id)) {
        return Invalid(
            fmt::format("{}: \"{}\" is not a param id (lowercase letters, digits "
                        "and '_', starting with a letter)",
                        reference, id));
      }
      pieces.push_back({PieceKind::kParam, reference, std::string(id), {}, 0});
    } else if (inner.starts_with("generate:")) {
      pieces.push_back(TRY(ParseGenerator(inner.substr(9), reference)));
    } else if (IsEnvName(inner)) {
      pieces.push_back({PieceKind::kVariable, reference, std::string(inner), {}, 0});
    } else {
      return Invalid(
          fmt::format("{}: expected ${{VAR}}, ${{param:ID}} or "
                      "${{generate:KIND[:N]}} (write \"$$\" for a literal \"$\")",
                      reference));
    }
    i = close + 1;
  }
  flush();
  return pieces;
}

}  // namespace yard::manifest
