#pragma once

// Diagnostics: what parsing and validating a manifest found wrong, with the place it is at.

#include <string>
#include <vector>

namespace yard::manifest {

/// A place in the manifest file, 1-based. Line 0 means "the file as a whole" (no position).
struct Location {
  int line = 0;
  int column = 0;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position
  int column = 0;  // 1-based
  std::string message;
};

/// Formats one diagnostic the way compilers do: `file:line:col: message` for errors and
/// `file:line:col: warning: message` for warnings (`file: message` without a position).
std::string FormatDiagnostic(const Diagnostic& diagnostic);

/// Collects diagnostics for one file in the order they are found. Not thread-safe.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void Error(Location where, std::string message);
  void Warning(Location where, std::string message);

  bool HasErrors() const;
  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& list() const { return list_; }
  std::vector<Diagnostic> Take() { return std::move(list_); }

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
};

/// Orders diagnostics by position (stable, so equal positions keep the order found); errors
/// found by later passes then read top to bottom with the rest.
void SortByPosition(std::vector<Diagnostic>& diagnostics);

}  // namespace yard::manifest
