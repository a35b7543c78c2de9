#include "volumes/file_copy.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace yard::volumes {
namespace {

// Progress (and a stop) is looked at between chunks of this size.
constexpr int64_t kChunk = 8 << 20;
constexpr size_t kBuffer = 1 << 20;

Unexpected IoError(std::string_view what, const std::string& path, int err = errno) {
  return Unexpected(ErrorCode::kIo, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

Unexpected Stopped() { return Unexpected(ErrorCode::kCancelled, "the copy was stopped"); }

// Errors that say "not this way between these files", not "the disk failed".
bool Unsupported(int err) {
  return err == EXDEV || err == ENOSYS || err == EOPNOTSUPP || err == ENOTTY || err == EINVAL ||
         err == EBADF || err == EPERM;
}

Status ReadWrite(int from, int to, int64_t offset, int64_t length, const Advance& advance,
                 const std::string& what) {
  std::vector<char> buffer(kBuffer);
  int64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<int64_t>(length - done, kBuffer));
    ssize_t got = ::pread(from, buffer.data(), want, offset + done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return IoError("read", what);
    }
    if (got == 0) return Ok();  // shorter than when it was measured: copied as it is now
    for (ssize_t written = 0; written < got;) {
      ssize_t n = ::pwrite(to, buffer.data() + written, static_cast<size_t>(got - written),
                           offset + done + written);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write the copy of", what);
      }
      written += n;
    }
    done += got;
    if (!advance(got)) return Stopped();
  }
  return Ok();
}

// Copies [offset, offset + length) with copy_file_range, or read/write when the kernel
// cannot between these files.
Status CopyRange(int from, int to, int64_t offset, int64_t length, FileCopyState& state,
                 const Advance& advance, const std::string& what, FileCopyMethod& method) {
  int64_t done = 0;
  while (state.try_copy_file_range && done < length) {
    loff_t in = offset + done;
    loff_t out = in;
    ssize_t n = ::copy_file_range(from, &in, to, &out,
                                  static_cast<size_t>(std::min(length - done, kChunk)), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done == 0 && Unsupported(errno)) {
        state.try_copy_file_range = false;
        break;
      }
      return IoError("copy", what);
    }
    if (n == 0) return Ok();  // shorter than when it was measured
    done += n;
    method = FileCopyMethod::kCopyFileRange;
    if (!advance(n)) return Stopped();
  }
  if (done < length) {
    method = FileCopyMethod::kReadWrite;
    return ReadWrite(from, to, offset + done, length - done, advance, what);
  }
  return Ok();
}

}  // namespace

Result<FileCopyMethod> CopyFileData(int from, int to, int64_t size, FileCopyState& state,
                                    const Advance& advance, const std::string& what) {
  if (size == 0) return FileCopyMethod::kEmpty;
  if (state.try_reflink) {
    if (::ioctl(to, FICLONE, from) == 0) {
      if (!advance(size)) return Stopped();
      return FileCopyMethod::kReflink;
    }
    // The filesystem cannot share extents (ext4, or two filesystems): copy from now on.
    state.try_reflink = false;
  }
  FileCopyMethod method = FileCopyMethod::kReadWrite;
  // Only the data: a sparse file's holes are skipped (SEEK_DATA / SEEK_HOLE), and the size
  // set at the end keeps a trailing hole.
  int64_t position = 0;
  while (position < size) {
    off_t data = ::lseek(from, position, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      if (errno != EINVAL && errno != EOPNOTSUPP) return IoError("seek in", what);
      data = position;  // no hole support: all of it is data
    }
    off_t hole = ::lseek(from, data, SEEK_HOLE);
    if (hole < 0 || hole > size) hole = size;
    if (hole <= data) break;
    if (!state.try_copy_file_range) {
      TRY(ReadWrite(from, to, data, hole - data, advance, what));
    } else {
      TRY(CopyRange(from, to, data, hole - data, state, advance, what, method));
    }
    // Holes count as done: progress is against the measured (apparent) size.
    if (data > position && !advance(data - position)) return Stopped();
    position = hole;
  }
  if (position < size && !advance(size - position)) return Stopped();
  if (::ftruncate(to, size) != 0) return IoError("set the size of the copy of", what);
  return method;
}

}  // namespace yard::volumes
