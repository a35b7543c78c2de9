#include "logs/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/core.h>

#include "logs/line_format.h"

namespace yard::logs {
namespace {

constexpr size_t kNameDigits = 20;
constexpr std::string_view kSuffix = ".log";

// Files are read in blocks this big; the buffer also holds the part of a line that crosses a
// block boundary.
constexpr size_t kBlockBytes = 512 * 1024;
constexpr size_t kBufferBytes = kBlockBytes + kMaxStoredLineBytes + 1;
// Reading backwards starts smaller, as most readers want only the last lines (a tail, the
// time of the last line), and doubles up to kBlockBytes.
constexpr size_t kFirstBackwardBlockBytes = 32 * 1024;

Unexpected ErrnoError(std::string_view what, const std::string& path, int err = errno) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Unexpected(code, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

Result<UniqueFd> OpenForReading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  return UniqueFd(fd);
}

// Reads up to `size` bytes at `offset`; 0 at the end of the file.
Result<size_t> ReadAt(int fd, char* into, size_t size, uint64_t offset) {
  while (true) {
    ssize_t got = ::pread(fd, into, size, static_cast<off_t>(offset));
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) {
      return Unexpected(ErrorCode::kIo, fmt::format("read log segment: {}", std::strerror(errno)));
    }
  }
}

}  // namespace

std::string SegmentFileName(int64_t name) { return fmt::format("{:020d}{}", name, kSuffix); }

std::string SegmentPath(const std::string& dir, int64_t name) {
  return dir + "/" + SegmentFileName(name);
}

std::optional<int64_t> ParseSegmentFileName(std::string_view file_name) {
  if (file_name.size() != kNameDigits + kSuffix.size() || !file_name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  const char* first = file_name.data();
  const char* last = first + kNameDigits;
  if (!std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  int64_t name = 0;
  auto [end, ec] = std::from_chars(first, last, name);
  if (ec != std::errc() || end != last) return std::nullopt;
  return name;
}

Result<std::vector<SegmentFile>> ListSegments(const std::string& dir) {
  namespace stdfs = std::filesystem;
  std::vector<SegmentFile> segments;
  std::error_code ec;
  stdfs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return segments;
  if (ec) {
    return Unexpected(ErrorCode::kIo, fmt::format("list {}: {}", dir, ec.message()));
  }
  for (; it != stdfs::directory_iterator(); it.increment(ec)) {
    auto name = ParseSegmentFileName(it->path().filename().native());
    if (!name) continue;
    std::error_code stat_error;
    uint64_t bytes = it->file_size(stat_error);
    if (stat_error) continue;  // removed (pruned) since it was listed, or not a file
    segments.push_back({*name, bytes});
  }
  if (ec) return Unexpected(ErrorCode::kIo, fmt::format("list {}: {}", dir, ec.message()));
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.name < b.name; });
  return segments;
}

// ---- ForwardLineReader ----------------------------------------------------------------------

ForwardLineReader::ForwardLineReader(UniqueFd fd, uint64_t offset)
    : fd_(std::move(fd)),
      buffer_(std::make_unique_for_overwrite<char[]>(kBufferBytes)),
      base_(offset),
      line_start_(offset) {}

Result<ForwardLineReader> ForwardLineReader::Open(const std::string& path, uint64_t offset) {
  UniqueFd fd = TRY(OpenForReading(path));
  return ForwardLineReader(std::move(fd), offset);
}

std::optional<std::string_view> ForwardLineReader::Next() {
  // An overlong line is dropped as it is read, and returned empty once its end is found.
  bool overlong = false;
  uint64_t overlong_start = 0;
  while (true) {
    const char* data = buffer_.get();
    const void* newline = std::memchr(data + scanned_, '\n', end_ - scanned_);
    if (newline != nullptr) {
      size_t at = static_cast<size_t>(static_cast<const char*>(newline) - data);
      line_start_ = overlong ? overlong_start : base_ + begin_;
      // An overlong line is corrupt whether or not it fitted in the buffer.
      std::string_view line = overlong || at - begin_ > kMaxStoredLineBytes
                                  ? std::string_view()
                                  : std::string_view(data + begin_, at - begin_);
      begin_ = scanned_ = at + 1;
      return line;
    }
    scanned_ = end_;
    if (!overlong && end_ - begin_ > kMaxStoredLineBytes) {
      overlong = true;
      overlong_start = base_ + begin_;
    }
    if (overlong) {
      base_ += end_;
      begin_ = end_ = scanned_ = 0;
    }
    if (!ReadMore()) {
      // At the end of the file inside an overlong line: the next call starts it again.
      if (overlong) {
        base_ = overlong_start;
        begin_ = end_ = scanned_ = 0;
      }
      return std::nullopt;
    }
  }
}

bool ForwardLineReader::ReadMore() {
  if (!status_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    scanned_ -= begin_;
    begin_ = 0;
  }
  size_t room = std::min(kBlockBytes, kBufferBytes - end_);
  Result<size_t> got = ReadAt(fd_.get(), buffer_.get() + end_, room, base_ + end_);
  if (!got) {
    status_ = Unexpected(got.error());
    return false;
  }
  end_ += *got;
  return *got > 0;
}

// ---- BackwardLineReader ---------------------------------------------------------------------

BackwardLineReader::BackwardLineReader(UniqueFd fd, uint64_t end)
    : fd_(std::move(fd)),
      buffer_(std::make_unique_for_overwrite<char[]>(kBufferBytes)),
      base_(end),
      pos_(end),
      block_bytes_(kFirstBackwardBlockBytes) {}

Result<BackwardLineReader> BackwardLineReader::Open(const std::string& path,
                                                    std::optional<uint64_t> end) {
  // A file cut short while its end is looked for (the store cuts a partial last line before
  // appending) is looked at again.
  for (int attempt = 0;; ++attempt) {
    UniqueFd fd = TRY(OpenForReading(path));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return ErrnoError("stat", path);
    uint64_t size = static_cast<uint64_t>(info.st_size);
    BackwardLineReader reader(std::move(fd), std::min(end.value_or(size), size));
    // The complete lines end after the last newline; what follows is dropped unread.
    uint64_t search_to = reader.base_;
    while (true) {
      if (search_to > reader.base_) {
        const char* data = reader.buffer_.get();
        const void* newline = ::memrchr(data, '\n', search_to - reader.base_);
        if (newline != nullptr) {
          reader.pos_ =
              reader.base_ + static_cast<size_t>(static_cast<const char*>(newline) - data) + 1;
          break;
        }
      }
      if (reader.base_ == 0) {
        reader.pos_ = 0;
        break;
      }
      search_to = reader.base_;
      if (!reader.ReadMore(reader.base_)) break;
    }
    if (reader.status_) {
      reader.end_of_lines_ = reader.pos_;
      return reader;
    }
    if (reader.status_.error().code != ErrorCode::kFailedPrecondition || attempt == 2) {
      return Unexpected(reader.status_.error().WithContext(path));
    }
  }
}

std::optional<std::string_view> BackwardLineReader::Prev() {
  if (pos_ == 0 || !status_) return std::nullopt;
  uint64_t line_end = pos_ - 1;  // the line's newline
  uint64_t search_to = line_end;
  uint64_t start = 0;
  bool overlong = false;
  while (true) {
    if (search_to > base_) {
      const char* data = buffer_.get();
      const void* newline = ::memrchr(data, '\n', search_to - base_);
      if (newline != nullptr) {
        start = base_ + static_cast<size_t>(static_cast<const char*>(newline) - data) + 1;
        break;
      }
    }
    if (base_ == 0) {
      start = 0;
      break;
    }
    // An overlong line is not kept: only its start is looked for.
    if (line_end - base_ > kMaxStoredLineBytes) overlong = true;
    search_to = base_;
    if (!ReadMore(overlong ? base_ : line_end)) return std::nullopt;
  }
  pos_ = start;
  if (overlong || line_end - start > kMaxStoredLineBytes) return std::string_view();
  return std::string_view(buffer_.get() + (start - base_), line_end - start);
}

bool BackwardLineReader::ReadMore(uint64_t keep_end) {
  if (!status_ || base_ == 0) return false;
  size_t block = static_cast<size_t>(std::min<uint64_t>(block_bytes_, base_));
  block_bytes_ = std::min(block_bytes_ * 2, kBlockBytes);
  size_t keep = static_cast<size_t>(keep_end - base_);
  std::memmove(buffer_.get() + block, buffer_.get(), keep);
  uint64_t new_base = base_ - block;
  size_t filled = 0;
  while (filled < block) {
    Result<size_t> got =
        ReadAt(fd_.get(), buffer_.get() + filled, block - filled, new_base + filled);
    if (!got) {
      status_ = Unexpected(got.error());
      return false;
    }
    if (*got == 0) {
      // The file shrank under us (edited by hand): stop here.
      status_ = Unexpected(ErrorCode::kFailedPrecondition, "log segment shrank while being read");
      return false;
    }
    filled += *got;
  }
  base_ = new_base;
  return true;
}

}  // namespace yard::logs
