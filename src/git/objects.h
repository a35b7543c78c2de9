#pragma once

// Plain values describing what a repository holds: branches and tree entries.

#include <cstdint>
#include <string>
#include <string_view>

namespace yard::git {

/// A branch head as BareRepository::Branches reports it.
struct Branch {
  std::string name;     // "main", "feature/login" (without "refs/heads/")
  std::string commit;   // full hex object id of the head commit
  std::string subject;  // first paragraph of the commit message, on one line
  std::string author_name;
  std::string author_email;  // without the angle brackets
  int64_t commit_time = 0;   // committer date, seconds since the Unix epoch

  bool operator==(const Branch&) const = default;
};

/// What a path names in a commit's tree.
enum class EntryKind {
  kFile,  // a regular file, executable or not
  kDirectory,
  kSymlink,    // its content is the link target
  kSubmodule,  // a gitlink: a commit of another repository, never present here
  kMissing,    // nothing at that path
};

/// "file", "directory", "symlink", "submodule", "missing".
std::string_view EntryKindName(EntryKind kind);

/// One entry of a directory, as BareRepository::ListTree reports it.
struct TreeEntry {
  std::string name;  // one path component, no slashes
  EntryKind kind = EntryKind::kMissing;
  bool executable = false;  // only for kFile: mode 100755
  uint64_t size = 0;        // bytes, for kFile and kSymlink; 0 otherwise

  bool operator==(const TreeEntry&) const = default;
};

}  // namespace yard::git
