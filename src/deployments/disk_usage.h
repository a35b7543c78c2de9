#pragma once

// How much disk a directory tree takes, as `du` counts it: allocated blocks (st_blocks), so
// sparse files count what they use and reflinked copies count in full; hard-linked files
// once; symbolic links not followed; other filesystems mounted inside not entered.

#include <cstdint>
#include <string>

#include "base/result.h"

namespace yard::deployments {

struct DiskUsage {
  int64_t bytes = 0;
  int64_t files = 0;
  /// Entries that could not be read (permissions, removed during the walk) were skipped.
  bool partial = false;
};

/// Walks `path`. kNotFound when it does not exist; kIo when it cannot be opened.
Result<DiskUsage> MeasureDiskUsage(const std::string& path);

/// The filesystem holding `path`: its size, what is used, and what unprivileged users may
/// still use (as `df` shows them; used + available can be less than the size).
struct FilesystemSpace {
  int64_t size_bytes = 0;
  int64_t used_bytes = 0;
  int64_t available_bytes = 0;
  /// used / (used + available), as `df`'s Use%.
  double used_fraction() const {
    int64_t total = used_bytes + available_bytes;
    return total > 0 ? static_cast<double>(used_bytes) / static_cast<double>(total) : 0;
  }
};
Result<FilesystemSpace> SpaceOf(const std::string& path);

}  // namespace yard::deployments
