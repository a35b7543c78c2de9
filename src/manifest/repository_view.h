#pragma once

// What validation needs to know about the repository a manifest sits in: whether a path is a
// file, a directory or missing. The git module implements it for a commit of a bare
// repository; `yard stack validate` uses the working tree on disk.

#include <set>
#include <string>

#include "base/result.h"

namespace yard::manifest {

enum class EntryKind { kMissing, kFile, kDirectory };

class RepositoryView {
 public:
  virtual ~RepositoryView() = default;
  /// The kind of `path`, a normalised repository-relative path ("." for the root, no "..").
  /// kInvalidArgument for a path that is not one; other codes when the repository cannot be
  /// read. Not required to be thread-safe.
  virtual Result<EntryKind> Stat(const std::string& path) = 0;
};

/// A directory on disk as the repository. Refuses paths that escape the root, also through
/// symbolic links (kInvalidArgument).
class FilesystemRepositoryView : public RepositoryView {
 public:
  /// `root` must exist; it is resolved once, here.
  explicit FilesystemRepositoryView(const std::string& root);
  Result<EntryKind> Stat(const std::string& path) override;

 private:
  std::string root_;  // canonical, no trailing slash
};

/// A repository given as a set of file paths (directories are their parents): for tests.
class InMemoryRepositoryView : public RepositoryView {
 public:
  explicit InMemoryRepositoryView(std::set<std::string> files) : files_(std::move(files)) {}
  Result<EntryKind> Stat(const std::string& path) override;

 private:
  std::set<std::string> files_;
};

}  // namespace yard::manifest
