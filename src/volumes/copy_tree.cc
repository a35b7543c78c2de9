#include "volumes/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "base/unique_fd.h"

namespace yard::volumes {
namespace {

using FileId = std::pair<dev_t, ino_t>;

Unexpected IoError(std::string_view what, const std::string& path, int err = errno) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Unexpected(code, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

// A directory's entries, without . and .., in no particular order.
Result<std::vector<std::string>> ListDirectory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return IoError("open directory", path);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return IoError("read directory", path, err);
  return names;
}

Status Measure(const std::string& path, const struct stat& st, TreeSize& size,
               std::set<FileId>& seen) {
  ++size.entries;
  if (S_ISREG(st.st_mode)) {
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) return Ok();
    size.bytes += st.st_size;
    return Ok();
  }
  if (!S_ISDIR(st.st_mode)) return Ok();
  for (const std::string& name : TRY(ListDirectory(path))) {
    std::string child = path + "/" + name;
    struct stat child_st {};
    if (::lstat(child.c_str(), &child_st) != 0) return IoError("stat", child);
    TRY(Measure(child, child_st, size, seen));
  }
  return Ok();
}

class TreeCopier {
 public:
  TreeCopier(const CopyOptions& options, int64_t total) : options_(options) {
    progress_.bytes_total = total;
    if (options.reflink == Reflink::kNever) {
      // copy_file_range shares extents too on filesystems that can (XFS, btrfs).
      state_.try_reflink = false;
      state_.try_copy_file_range = false;
    }
  }

  Status Copy(const std::string& from, const std::string& to, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      TRY(CopyDirectory(from, to, st));
    } else if (S_ISREG(st.st_mode)) {
      TRY(CopyFile(from, to, st));
    } else if (S_ISLNK(st.st_mode)) {
      TRY(CopySymlink(from, to, st));
    } else {
      // FIFOs, sockets and device nodes are made anew (device nodes need root).
      if (::mknod(to.c_str(), st.st_mode, st.st_rdev) != 0) return IoError("create", to);
      TRY(Finish(from, to, st));
    }
    ++result_.entries;
    if (!Advance(0)) return Unexpected(ErrorCode::kCancelled, "the copy was stopped");
    return Ok();
  }

  const CopyResult& result() const { return result_; }

 private:
  bool Advance(int64_t bytes) {
    progress_.bytes_done += bytes;
    return !options_.progress || options_.progress(progress_);
  }

  Status CopyDirectory(const std::string& from, const std::string& to, const struct stat& st) {
    // Writable by us while it fills; its own mode is set once its entries are in.
    if (::mkdir(to.c_str(), 0700) != 0) return IoError("create directory", to);
    for (const std::string& name : TRY(ListDirectory(from))) {
      std::string child = from + "/" + name;
      struct stat child_st {};
      if (::lstat(child.c_str(), &child_st) != 0) {
        if (errno == ENOENT) continue;  // removed since it was listed
        return IoError("stat", child);
      }
      TRY(Copy(child, to + "/" + name, child_st));
    }
    return Finish(from, to, st);
  }

  Status CopyFile(const std::string& from, const std::string& to, const struct stat& st) {
    if (st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, to);
      if (!first) {
        if (::link(it->second.c_str(), to.c_str()) != 0) return IoError("link", to);
        return Ok();
      }
    }
    UniqueFd in(::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return IoError("open", from);
    UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out) return IoError("create", to);
    FileCopyMethod method = TRY(CopyFileData(
        in.get(), out.get(), st.st_size, state_, [this](int64_t bytes) { return Advance(bytes); },
        from));
    result_.bytes += st.st_size;
    if (method != FileCopyMethod::kEmpty) {
      ++result_.files;
      if (method == FileCopyMethod::kReflink) ++result_.reflinked_files;
    }
    return Finish(from, to, st);
  }

  Status CopySymlink(const std::string& from, const std::string& to, const struct stat& st) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    while (true) {
      ssize_t n = ::readlink(from.c_str(), target.data(), target.size());
      if (n < 0) return IoError("read link", from);
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(static_cast<size_t>(n));
        break;
      }
      target.resize(target.size() * 2);  // it grew since the stat
    }
    if (::symlink(target.c_str(), to.c_str()) != 0) return IoError("create link", to);
    if (::lchown(to.c_str(), st.st_uid, st.st_gid) != 0 && !OwnerRefused()) {
      return IoError("set the owner of", to);
    }
    return SetTimes(to, st);
  }

  // Owner, extended attributes, mode and times, in the order that keeps each: a change of
  // owner clears set-user-ID bits and file capabilities.
  Status Finish(const std::string& from, const std::string& to, const struct stat& st) {
    if (::lchown(to.c_str(), st.st_uid, st.st_gid) != 0 && !OwnerRefused()) {
      return IoError("set the owner of", to);
    }
    TRY(CopyAttributes(from, to));
    if (::chmod(to.c_str(), st.st_mode & 07777) != 0) return IoError("set the mode of", to);
    return SetTimes(to, st);
  }

  // Without root the copy is ours, as `cp -a` does it.
  bool OwnerRefused() const { return errno == EPERM && ::geteuid() != 0; }

  static Status SetTimes(const std::string& to, const struct stat& st) {
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return IoError("set the times of", to);
    }
    return Ok();
  }

  // Best effort, as `cp -a`: a namespace the destination or the caller cannot have
  // (security.*, trusted.* without root) is skipped; a full disk is not.
  static Status CopyAttributes(const std::string& from, const std::string& to) {
    ssize_t size = ::llistxattr(from.c_str(), nullptr, 0);
    if (size <= 0) return Ok();
    std::string names(static_cast<size_t>(size), '\0');
    size = ::llistxattr(from.c_str(), names.data(), names.size());
    if (size <= 0) return Ok();
    names.resize(static_cast<size_t>(size));
    for (size_t start = 0; start < names.size();) {
      std::string name = names.c_str() + start;
      start += name.size() + 1;
      ssize_t length = ::lgetxattr(from.c_str(), name.c_str(), nullptr, 0);
      if (length < 0) continue;
      std::string value(static_cast<size_t>(length), '\0');
      length = ::lgetxattr(from.c_str(), name.c_str(), value.data(), value.size());
      if (length < 0) continue;
      if (::lsetxattr(to.c_str(), name.c_str(), value.data(), static_cast<size_t>(length), 0) !=
              0 &&
          (errno == ENOSPC || errno == EDQUOT || errno == EIO)) {
        return IoError("set extended attributes of", to);
      }
    }
    return Ok();
  }

  const CopyOptions& options_;
  FileCopyState state_;
  CopyResult result_;
  CopyProgress progress_;
  std::map<FileId, std::string> links_;  // hard-linked files: the first copy's path
};

}  // namespace

Result<TreeSize> MeasureTree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return IoError("stat", path);
  TreeSize size;
  std::set<FileId> seen;
  TRY(Measure(path, st, size, seen));
  return size;
}

Result<CopyResult> CopyTree(const std::string& from, const std::string& to,
                            const CopyOptions& options) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) return IoError("stat", from);
  struct stat existing {};
  if (::lstat(to.c_str(), &existing) == 0) {
    return Unexpected(ErrorCode::kAlreadyExists, fmt::format("{} already exists", to));
  }
  TreeSize size = TRY(MeasureTree(from));
  TreeCopier copier(options, size.bytes);
  TRY(copier.Copy(from, to, st));
  return copier.result();
}

Status RemoveTree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) {
    return Unexpected(ErrorCode::kIo, fmt::format("remove {}: {}", path, error.message()));
  }
  return Ok();
}

}  // namespace yard::volumes
