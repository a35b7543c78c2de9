#pragma once

// Filesystem helpers that report errors as values and never leave a half-written file.

#include <sys/types.h>

#include <string>

#include "base/result.h"

namespace yard::fs {

/// Reads a whole file. kNotFound when it does not exist; kTooLarge past max_bytes.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 64 * 1024 * 1024);

/// Replaces `path` with `data` atomically: writes a temporary file beside it, fsyncs it, renames
/// it over `path` and fsyncs the directory. Readers see the old content or the new, never a
/// mix, even across a crash. The file gets `mode` (before any byte is written, so a secret is
/// never readable by others).
Status AtomicWriteFile(const std::string& path, std::string_view data, mode_t mode = 0644);

/// Creates a directory and its parents (like mkdir -p) with `mode` for those it creates.
Status CreateDirectories(const std::string& path, mode_t mode = 0755);

/// Removes a file; succeeds when it did not exist.
Status RemoveFile(const std::string& path);

bool Exists(const std::string& path);

/// The absolute form of `path` (relative to the working directory), lexically normalised.
std::string Absolute(const std::string& path);

/// Joins path parts with single slashes.
std::string Join(const std::string& a, const std::string& b);

/// An exclusive advisory lock (flock) on a file, held while the object lives. The file records
/// the holder's pid so that the refusal message can name it.
class FileLock {
 public:
  /// kFailedPrecondition when another process holds it; kIo on other failures.
  static Result<FileLock> Acquire(const std::string& path);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace yard::fs
