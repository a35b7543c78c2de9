#pragma once

// Segment files of the log store (store.h): their names, listing a service's segments, and
// reading their complete lines forwards or backwards in big blocks with pread. A reader never
// returns the bytes after a file's last newline (a line being written, or left by a crash),
// and returns a line longer than kMaxStoredLineBytes as an empty one (corrupt, for the caller
// to skip) without holding it in memory.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace yard::logs {

/// "<name, 20 digits zero-padded>.log": a segment is named by its first line's time.
std::string SegmentFileName(int64_t name);
/// The name of a segment file; nullopt for other files.
std::optional<int64_t> ParseSegmentFileName(std::string_view file_name);
/// `dir`/SegmentFileName(name).
std::string SegmentPath(const std::string& dir, int64_t name);

struct SegmentFile {
  int64_t name = 0;
  uint64_t bytes = 0;
};

/// The segments in `dir`, oldest (smallest name) first; empty when `dir` does not exist.
/// Other files are ignored.
Result<std::vector<SegmentFile>> ListSegments(const std::string& dir);

/// Reads a file's complete lines from an offset on.
class ForwardLineReader {
 public:
  /// kNotFound when the file is gone (pruned).
  static Result<ForwardLineReader> Open(const std::string& path, uint64_t offset);

  /// The next complete line, without its newline; nullopt at the end of the complete lines
  /// (or on a read error: see status()). Valid until the next call.
  std::optional<std::string_view> Next();

  /// Where the line returned last starts.
  uint64_t line_start() const { return line_start_; }
  /// Where the next line starts: after the line returned last.
  uint64_t offset() const { return base_ + begin_; }
  const Status& status() const { return status_; }

 private:
  ForwardLineReader(UniqueFd fd, uint64_t offset);
  // Reads the next block after the buffered bytes; false at the end of the file or on error.
  bool ReadMore();

  UniqueFd fd_;
  std::unique_ptr<char[]> buffer_;
  uint64_t base_ = 0;  // the file offset of buffer_[0]
  size_t begin_ = 0;   // buffer_[begin_, end_) is what is left to read
  size_t end_ = 0;
  size_t scanned_ = 0;  // buffer_[begin_, scanned_) has no newline
  uint64_t line_start_ = 0;
  Status status_;
};

/// Reads a file's complete lines from its end (or an earlier offset) back to its start.
class BackwardLineReader {
 public:
  /// Reads the complete lines before `end` (the whole file without one). kNotFound when the
  /// file is gone.
  static Result<BackwardLineReader> Open(const std::string& path,
                                         std::optional<uint64_t> end = std::nullopt);

  /// Where the complete lines read from end: after the last newline before the `end` given.
  uint64_t end() const { return end_of_lines_; }

  /// The line before the one returned last, without its newline; nullopt at the start of the
  /// file (or on a read error: see status()). Valid until the next call.
  std::optional<std::string_view> Prev();

  /// Where the line returned last starts.
  uint64_t line_start() const { return pos_; }
  const Status& status() const { return status_; }

 private:
  BackwardLineReader(UniqueFd fd, uint64_t end);
  // Reads the block before the buffered bytes, keeping those before `keep_end`; false at the
  // start of the file or on error.
  bool ReadMore(uint64_t keep_end);

  UniqueFd fd_;
  std::unique_ptr<char[]> buffer_;
  uint64_t base_ = 0;  // the file offset of buffer_[0]; the buffer holds [base_, pos_) at least
  uint64_t pos_ = 0;   // where the line returned last starts: 0 or just after a newline
  uint64_t end_of_lines_ = 0;
  size_t block_bytes_;  // the size of the next read
  Status status_;
};

}  // namespace yard::logs
