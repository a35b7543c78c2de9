#include "base/fs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

namespace yard::fs {
namespace {

Unexpected ErrnoError(std::string_view what, const std::string& path, int err = errno) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Unexpected(code, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Ok();
}

std::string Directory(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  std::string data;
  char buffer[65536];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoError("read", path, err);
    }
    if (got == 0) break;
    if (data.size() + static_cast<size_t>(got) > max_bytes) {
      ::close(fd);
      return Unexpected(ErrorCode::kTooLarge,
                        fmt::format("{} is larger than {} bytes", path, max_bytes));
    }
    data.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return data;
}

Status AtomicWriteFile(const std::string& path, std::string_view data, mode_t mode) {
  std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("create", temp);
  // open() applies the umask; fchmod makes the mode exactly what the caller asked for.
  Status status = ::fchmod(fd, mode) == 0 ? Ok() : Status(ErrnoError("chmod", temp));
  if (status) status = WriteAll(fd, data, temp);
  if (status && ::fsync(fd) != 0) status = ErrnoError("fsync", temp);
  if (::close(fd) != 0 && status) status = ErrnoError("close", temp);
  if (status && ::rename(temp.c_str(), path.c_str()) != 0) status = ErrnoError("rename", path);
  if (!status) {
    ::unlink(temp.c_str());
    return status;
  }
  // The rename is durable only once the directory entry is on disk.
  int dir_fd = ::open(Directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Ok();
}

Status CreateDirectories(const std::string& path, mode_t mode) {
  std::string partial;
  size_t position = 0;
  while (position <= path.size()) {
    size_t next = path.find('/', position);
    if (next == std::string::npos) next = path.size();
    partial = path.substr(0, next);
    position = next + 1;
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError("mkdir", partial);
    }
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return ErrnoError("stat", path);
  if (!S_ISDIR(info.st_mode)) {
    return Unexpected(ErrorCode::kFailedPrecondition, path + " exists and is not a directory");
  }
  return Ok();
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path);
  return Ok();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string Absolute(const std::string& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  if (error) return path;
  return absolute.lexically_normal().string();
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return b.front() == '/' ? a + b.substr(1) : a + b;
  return b.front() == '/' ? a + b : a + "/" + b;
}

Result<FileLock> FileLock::Acquire(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("open", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder;
    char buffer[32] = {};
    if (::pread(fd, buffer, sizeof(buffer) - 1, 0) > 0) holder = buffer;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{} is locked by another process{}", path,
                                    holder.empty() ? "" : " (pid " + holder + ")"));
    }
    return ErrnoError("lock", path, err);
  }
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("write", path, err);
  }
  return FileLock(fd, path);
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    // Clear the pid before unlocking so a stale pid is never shown for a free lock.
    [[maybe_unused]] int ignored = ::ftruncate(fd_, 0);
    ::close(fd_);
  }
}

}  // namespace yard::fs
