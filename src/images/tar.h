#pragma once

// Uncompressed tar archives built in memory: the form build contexts are sent to the engine in.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

struct archive;  // libarchive

namespace yard::images {

/// Writes a tar archive (POSIX pax; plain ustar headers where they suffice) into memory.
/// Entries are owned by root (uid and gid 0), as build contexts are. Not thread-safe.
/// Errors: kInvalidArgument for a bad entry, kInternal when libarchive fails.
class TarWriter {
 public:
  TarWriter();
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  /// A regular file. `path` is relative and uses `/`; `mode` holds the permission bits;
  /// `mtime` is in seconds since the epoch.
  Status AddFile(std::string_view path, mode_t mode, std::string_view data, int64_t mtime = 0);
  /// A regular file whose `size` bytes follow through WriteData, in as many pieces as wanted.
  /// The next Add/Begin or Finish fails unless exactly `size` bytes were written.
  Status BeginFile(std::string_view path, mode_t mode, int64_t size, int64_t mtime = 0);
  Status WriteData(std::string_view piece);
  Status AddDirectory(std::string_view path, mode_t mode, int64_t mtime = 0);
  Status AddSymlink(std::string_view path, std::string_view target, int64_t mtime = 0);

  /// Bytes of archive produced so far.
  size_t size() const { return out_.size(); }

  /// Ends the archive and returns it; the writer takes no more entries.
  Result<std::string> Finish();

 private:
  Status Header(std::string_view path, unsigned type, mode_t mode, int64_t size, int64_t mtime,
                std::string_view symlink);
  Status CheckFileComplete();
  Unexpected Fail(std::string_view what);

  ::archive* archive_ = nullptr;
  std::string out_;
  int64_t pending_ = 0;  // bytes still owed to the current file
  bool finished_ = false;
};

/// The directory `dir` with everything in it, as a tar with paths relative to `dir` (no entry
/// for `dir` itself), in a stable order, with permission bits and modification times kept.
/// Files, directories and symbolic links are archived; sockets are left out (as tar does).
/// Errors: kInvalidArgument for a symbolic link whose target is absolute or leads outside
/// `dir`, or for a device or FIFO; kNotFound when `dir` is missing; kTooLarge when the
/// archive would pass `max_bytes`; kIo for a file that cannot be read or changes size while
/// it is read.
Result<std::string> TarDirectory(const std::string& dir, size_t max_bytes = size_t{1} << 30);

}  // namespace yard::images
