#include "git/git_output.h"

#include <charconv>

#include <fmt/core.h>

namespace yard::git {
namespace {

constexpr size_t kBranchFields = 6;
constexpr size_t kMaxRefLength = 255;
constexpr size_t kMaxTreePathLength = 4096;

Unexpected Malformed(std::string_view what, std::string_view record) {
  std::string shown(record.substr(0, 200));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return Unexpected(ErrorCode::kInternal,
                    fmt::format("unexpected output from git {}: '{}'", what, shown));
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(separator, begin);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

template <typename Int>
bool ParseInt(std::string_view text, Int& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

EntryKind KindOfMode(std::string_view mode) {
  if (mode == "040000") return EntryKind::kDirectory;
  if (mode == "120000") return EntryKind::kSymlink;
  if (mode == "160000") return EntryKind::kSubmodule;
  if (mode.starts_with("100")) return EntryKind::kFile;
  return EntryKind::kMissing;
}

bool IsControl(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

}  // namespace

const char* const kBranchFormat =
    "%(refname:lstrip=2)%00%(objectname)%00%(authorname)%00%(authoremail)%00"
    "%(committerdate:unix)%00%(subject)%00";

Result<std::vector<Branch>> ParseBranches(std::string_view output) {
  std::vector<Branch> branches;
  // for-each-ref ends each record with '\n' after our trailing NUL; neither a ref name nor a
  // one-line subject can hold a NUL, so counting fields is unambiguous.
  std::vector<std::string_view> fields = Split(output, '\0');
  size_t index = 0;
  while (index < fields.size()) {
    std::string_view first = fields[index];
    if (first.starts_with('\n')) first.remove_prefix(1);
    if (first.empty() && index + 1 == fields.size()) break;  // the final "\n"
    if (index + kBranchFields > fields.size()) return Malformed("for-each-ref", first);
    Branch branch;
    branch.name = std::string(first);
    branch.commit = std::string(fields[index + 1]);
    branch.author_name = std::string(fields[index + 2]);
    std::string_view email = fields[index + 3];
    if (email.starts_with('<') && email.ends_with('>')) email = email.substr(1, email.size() - 2);
    branch.author_email = std::string(email);
    if (!ParseInt(fields[index + 4], branch.commit_time)) {
      return Malformed("for-each-ref", fields[index + 4]);
    }
    branch.subject = std::string(fields[index + 5]);
    if (branch.name.empty() || !LooksLikeObjectId(branch.commit)) {
      return Malformed("for-each-ref", first);
    }
    branches.push_back(std::move(branch));
    index += kBranchFields;
  }
  return branches;
}

Result<std::vector<RawTreeEntry>> ParseLsTree(std::string_view output) {
  std::vector<RawTreeEntry> entries;
  for (std::string_view record : Split(output, '\0')) {
    // "<mode> SP <type> SP <object> SP+ <size> TAB <path>"; the size is padded with spaces.
    size_t tab = record.find('\t');
    if (tab == std::string_view::npos) return Malformed("ls-tree", record);
    std::vector<std::string_view> meta;
    for (std::string_view part : Split(record.substr(0, tab), ' ')) {
      if (!part.empty()) meta.push_back(part);
    }
    if (meta.size() != 4) return Malformed("ls-tree", record);
    RawTreeEntry entry;
    entry.mode = std::string(meta[0]);
    entry.type = std::string(meta[1]);
    entry.object = std::string(meta[2]);
    if (meta[3] != "-" && !ParseInt(meta[3], entry.size)) return Malformed("ls-tree", record);
    entry.path = std::string(record.substr(tab + 1));
    entry.kind = KindOfMode(entry.mode);
    if (entry.kind == EntryKind::kMissing || entry.path.empty()) {
      return Malformed("ls-tree", record);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::string> ValidateTreePath(std::string_view path, bool allow_root) {
  auto invalid = [&](std::string_view why) {
    std::string shown(path.substr(0, 200));
    for (char& c : shown) {
      if (IsControl(c)) c = '?';
    }
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid path '{}' in repository: {}", shown, why));
  };
  if (path.size() > kMaxTreePathLength) return invalid("it is too long");
  for (char c : path) {
    if (IsControl(c)) return invalid("it contains control characters");
  }
  if (path.starts_with('/')) return invalid("it must be relative to the repository root");
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.empty()) {
    if (allow_root) return std::string();
    return invalid("it is empty");
  }
  for (std::string_view component : Split(path, '/')) {
    if (component.empty()) return invalid("it contains '//'");
    if (component == "." || component == "..") {
      return invalid("it must not contain '.' or '..' components");
    }
  }
  return std::string(path);
}

Status ValidateRefText(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    std::string shown(text.substr(0, 100));
    for (char& c : shown) {
      if (IsControl(c)) c = '?';
    }
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid branch or commit '{}': {}", shown, why));
  };
  if (text.empty()) return invalid("it is empty");
  if (text.size() > kMaxRefLength) return invalid("it is too long");
  if (text.front() == '-') return invalid("it must not start with '-'");
  for (char c : text) {
    if (IsControl(c) || c == ' ' ||
        std::string_view("~^:?*[\\").find(c) != std::string_view::npos) {
      return invalid("it contains a character git does not allow in branch names");
    }
  }
  if (text.find("..") != std::string_view::npos || text.find("@{") != std::string_view::npos ||
      text.find("//") != std::string_view::npos || text == "@") {
    return invalid("it contains '..', '@{' or '//'");
  }
  if (text.front() == '/' || text.back() == '/' || text.front() == '.' || text.back() == '.' ||
      text.ends_with(".lock") || text.find("/.") != std::string_view::npos) {
    return invalid("it is not a valid branch name");
  }
  return Ok();
}

bool LooksLikeObjectId(std::string_view text) {
  if (text.size() < 4 || text.size() > 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string_view EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile:
      return "file";
    case EntryKind::kDirectory:
      return "directory";
    case EntryKind::kSymlink:
      return "symlink";
    case EntryKind::kSubmodule:
      return "submodule";
    case EntryKind::kMissing:
      return "missing";
  }
  return "missing";
}

}  // namespace yard::git
