#pragma once

// The data of one regular file, copied the cheapest way the filesystem allows: a reflink
// (ioctl FICLONE: the copy shares the source's extents until either is written, so it takes
// no time and no space), else copy_file_range (the kernel copies, no round trip through user
// space), else read and write. Holes stay holes.

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"

namespace yard::volumes {

enum class Reflink {
  kAuto,   // reflink when the filesystem can; copy otherwise
  kNever,  // always copy the bytes (read and write), e.g. to measure a full copy
};

enum class FileCopyMethod { kReflink, kCopyFileRange, kReadWrite, kEmpty };

/// What a series of file copies has learnt about the filesystems: a way that failed once is
/// not tried again for the next files. One per tree copy; not thread-safe.
struct FileCopyState {
  bool try_reflink = true;
  bool try_copy_file_range = true;
};

/// Called with the bytes done since the last call; returning false stops the copy.
using Advance = std::function<bool(int64_t bytes)>;

/// Copies `size` bytes of the regular file open as `from` into the empty file `to` (both
/// opened by the caller; `to` for writing). `what` names the file in errors. kCancelled when
/// `advance` returned false; kIo when the system refuses.
Result<FileCopyMethod> CopyFileData(int from, int to, int64_t size, FileCopyState& state,
                                    const Advance& advance, const std::string& what);

}  // namespace yard::volumes
