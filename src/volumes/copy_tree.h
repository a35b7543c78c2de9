#pragma once

// Copies of directory trees, as `cp -a` makes them: file types, modes, owners, times,
// extended attributes, symlinks (as links), hard links (kept as links within the tree) and
// sparse files. Each regular file is a reflink when the filesystem allows it (XFS with
// reflink=1, btrfs), so a copy of gigabytes takes a moment; otherwise its bytes are copied
// in the kernel (file_copy.h). Used to clone deployments' volumes (deployments/clone.h).

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "volumes/file_copy.h"

namespace yard::volumes {

/// What a tree holds: its regular files' apparent sizes (a hard-linked file counted once)
/// and the number of entries, directories included.
struct TreeSize {
  int64_t bytes = 0;
  int64_t entries = 0;
};

/// Walks `path` (not following symlinks). kNotFound when it does not exist.
Result<TreeSize> MeasureTree(const std::string& path);

struct CopyProgress {
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;  // measured before the copy starts
};

struct CopyOptions {
  Reflink reflink = Reflink::kAuto;
  /// Called after every file and every few MiB of a large one; returning false stops the
  /// copy. Empty: no reports.
  std::function<bool(const CopyProgress&)> progress;
};

struct CopyResult {
  int64_t bytes = 0;            // regular files' bytes (apparent sizes)
  int64_t files = 0;            // regular files with data
  int64_t reflinked_files = 0;  // of those, shared with the source rather than copied
  int64_t entries = 0;          // everything created, directories included
  /// True when every file with data was a reflink (and there was one).
  bool reflinks() const { return files > 0 && reflinked_files == files; }
};

/// Copies the tree at `from` to `to`, which must not exist (its parent must). Ownership is
/// kept when running as root; otherwise files belong to the caller (as with `cp -a`).
/// Sockets are recreated as such (nothing listens on a copy). On failure `to` holds a
/// partial copy: the caller removes it. kNotFound when `from` does not exist,
/// kAlreadyExists when `to` does, kCancelled when `progress` returned false, kIo otherwise.
/// Files that change while they are copied are copied as they happen to be read: callers
/// wanting a consistent copy stop the writers first.
Result<CopyResult> CopyTree(const std::string& from, const std::string& to,
                            const CopyOptions& options = {});

/// Removes `path` and everything under it; Ok when it does not exist.
Status RemoveTree(const std::string& path);

}  // namespace yard::volumes
