#include "deployments/disk_usage.h"

#include <fts.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <fmt/core.h>

namespace yard::deployments {

Result<DiskUsage> MeasureDiskUsage(const std::string& path) {
  struct stat root {};
  if (::lstat(path.c_str(), &root) != 0) {
    int error = errno;
    return Unexpected(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      fmt::format("{}: {}", path, std::strerror(error)));
  }
  std::string copy = path;
  char* paths[] = {copy.data(), nullptr};
  // Physical: links are not followed; XDEV: mounts inside are not entered; NOCHDIR: the
  // process's working directory is shared with other threads.
  FTS* fts = ::fts_open(paths, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, nullptr);
  if (fts == nullptr) {
    return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(errno)));
  }
  DiskUsage usage;
  std::set<std::pair<dev_t, ino_t>> linked;  // files with several names, counted once
  while (FTSENT* entry = ::fts_read(fts)) {
    switch (entry->fts_info) {
      case FTS_DP:  // a directory, after its contents: counted on the way in
        continue;
      case FTS_DNR:
      case FTS_ERR:
      case FTS_NS:
        usage.partial = true;
        continue;
      default:
        break;
    }
    const struct stat* st = entry->fts_statp;
    if (st == nullptr) continue;
    if (!S_ISDIR(st->st_mode) && st->st_nlink > 1 &&
        !linked.emplace(st->st_dev, st->st_ino).second) {
      continue;
    }
    usage.bytes += static_cast<int64_t>(st->st_blocks) * 512;
    if (S_ISREG(st->st_mode)) ++usage.files;
  }
  if (errno != 0 && errno != ENOENT) usage.partial = true;
  ::fts_close(fts);
  return usage;
}

Result<FilesystemSpace> SpaceOf(const std::string& path) {
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0) {
    int error = errno;
    return Unexpected(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      fmt::format("{}: {}", path, std::strerror(error)));
  }
  auto bytes = [&](fsblkcnt_t blocks) {
    return static_cast<int64_t>(blocks) * static_cast<int64_t>(vfs.f_frsize);
  };
  return FilesystemSpace{.size_bytes = bytes(vfs.f_blocks),
                         .used_bytes = bytes(vfs.f_blocks - vfs.f_bfree),
                         .available_bytes = bytes(vfs.f_bavail)};
}

}  // namespace yard::deployments
