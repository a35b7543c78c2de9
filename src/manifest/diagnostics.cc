#include "manifest/diagnostics.h"

#include <fmt/core.h>

#include <algorithm>

namespace yard::manifest {

std::string FormatDiagnostic(const Diagnostic& diagnostic) {
  std::string_view severity = diagnostic.severity == Severity::kWarning ? "warning: " : "";
  if (diagnostic.line <= 0)
    return fmt::format("{}: {}{}", diagnostic.file, severity, diagnostic.message);
  return fmt::format("{}:{}:{}: {}{}", diagnostic.file, diagnostic.line, diagnostic.column,
                     severity, diagnostic.message);
}

void Diagnostics::Error(Location where, std::string message) {
  list_.push_back({Severity::kError, file_, where.line, where.column, std::move(message)});
}

void Diagnostics::Warning(Location where, std::string message) {
  list_.push_back({Severity::kWarning, file_, where.line, where.column, std::move(message)});
}

bool Diagnostics::HasErrors() const {
  return std::any_of(list_.begin(), list_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

void SortByPosition(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
}

}  // namespace yard::manifest
