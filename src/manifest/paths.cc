#include "manifest/paths.h"

#include <vector>

#include "base/names.h"

namespace yard::manifest {
namespace {

Unexpected Invalid(std::string message) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(message));
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

Result<std::string> JoinRepositoryPath(std::string_view base, std::string_view path) {
  if (path.empty()) return Invalid("must not be empty");
  if (path.find('\0') != std::string_view::npos) return Invalid("must not contain NUL");
  if (path.find('\\') != std::string_view::npos) return Invalid("must use '/', not '\\'");
  if (path.front() == '/') return Invalid("must be relative to the repository, not absolute");
  if (path.size() > 1024) return Invalid("must be at most 1024 characters");
  std::vector<std::string_view> parts;
  for (std::string_view part : Split(base)) {
    if (!part.empty() && part != ".") parts.push_back(part);
  }
  for (std::string_view part : Split(path)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return Invalid("must stay inside the repository");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return std::string(".");
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<std::string> NormalizeContainerPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return Invalid("must be an absolute path");
  if (path.find('\0') != std::string_view::npos) return Invalid("must not contain NUL");
  if (path.size() > 4096) return Invalid("must be at most 4096 characters");
  std::string_view trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (trimmed == "/") return Invalid("must not be the root directory");
  for (std::string_view part : Split(trimmed.substr(1))) {
    if (part.empty()) return Invalid("must not contain empty segments (\"//\")");
    if (part == "." || part == "..") return Invalid("must not contain \".\" or \"..\" segments");
  }
  return std::string(trimmed);
}

std::string WhyNotId(std::string_view id) {
  if (id.empty()) return "must not be empty";
  if (id.size() > kMaxNameLength) return "must be at most 40 characters";
  if (id.front() < 'a' || id.front() > 'z') return "must start with a lowercase letter";
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return "must contain only lowercase letters, digits and '-'";
    }
  }
  if (id.back() == '-') return "must not end with '-'";
  return "";
}

}  // namespace yard::manifest
