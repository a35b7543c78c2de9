#include "images/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace yard::images {
namespace {

la_ssize_t AppendTo(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

Error IoError(std::string_view what, const std::string& path, int error_number) {
  return Error{ErrorCode::kIo, std::string(what) + " " + path + ": " + std::strerror(error_number)};
}

// Closes a file descriptor or directory stream on every path out of a function.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};
struct DirCloser {
  DIR* dir;
  ~DirCloser() {
    if (dir != nullptr) ::closedir(dir);
  }
};

class DirectoryArchiver {
 public:
  DirectoryArchiver(std::string root, size_t max_bytes)
      : root_(std::move(root)), max_bytes_(max_bytes) {}

  Result<std::string> Run() {
    struct stat info;
    if (::stat(root_.c_str(), &info) != 0) {
      if (errno == ENOENT) {
        return Unexpected(ErrorCode::kNotFound, "directory " + root_ + " does not exist");
      }
      return Unexpected(IoError("cannot read", root_, errno));
    }
    if (!S_ISDIR(info.st_mode)) {
      return Unexpected(ErrorCode::kInvalidArgument, root_ + " is not a directory");
    }
    TRY(AddChildren(""));
    return tar_.Finish();
  }

 private:
  std::string Full(const std::string& relative) const {
    return relative.empty() ? root_ : root_ + "/" + relative;
  }

  Status CheckSize(int64_t more) {
    // 1 KiB per entry covers its header (long names take a pax header of their own).
    if (tar_.size() + static_cast<size_t>(more) + 1024 > max_bytes_) {
      return Unexpected(ErrorCode::kTooLarge,
                        root_ + " is too large to send as a build context (over " +
                            std::to_string(max_bytes_ >> 20) + " MiB)");
    }
    return Ok();
  }

  Status AddChildren(const std::string& relative) {
    std::string full = Full(relative);
    DirCloser dir{::opendir(full.c_str())};
    if (dir.dir == nullptr) return Unexpected(IoError("cannot list", full, errno));
    std::vector<std::string> names;
    errno = 0;
    while (dirent* entry = ::readdir(dir.dir)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
      errno = 0;
    }
    if (errno != 0) return Unexpected(IoError("cannot list", full, errno));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      TRY(AddEntry(relative.empty() ? name : relative + "/" + name));
    }
    return Ok();
  }

  Status AddEntry(const std::string& relative) {
    std::string full = Full(relative);
    struct stat info;
    if (::lstat(full.c_str(), &info) != 0) return Unexpected(IoError("cannot read", full, errno));
    mode_t permissions = info.st_mode & 07777;
    if (S_ISDIR(info.st_mode)) {
      TRY(CheckSize(0));
      TRY(tar_.AddDirectory(relative, permissions, info.st_mtime));
      return AddChildren(relative);
    }
    if (S_ISREG(info.st_mode)) return AddFile(relative);
    if (S_ISLNK(info.st_mode)) return AddSymlink(relative, info.st_mtime);
    if (S_ISSOCK(info.st_mode)) return Ok();  // a socket has no content to send
    return Unexpected(ErrorCode::kInvalidArgument,
                      full +
                          " is a device or FIFO; a build context can hold only files, "
                          "directories and symbolic links");
  }

  Status AddFile(const std::string& relative) {
    std::string full = Full(relative);
    FdCloser file{::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    if (file.fd < 0) return Unexpected(IoError("cannot read", full, errno));
    struct stat info;
    if (::fstat(file.fd, &info) != 0) return Unexpected(IoError("cannot read", full, errno));
    if (!S_ISREG(info.st_mode)) {
      return Unexpected(ErrorCode::kIo, full + " changed while it was being archived");
    }
    TRY(CheckSize(info.st_size));
    TRY(tar_.BeginFile(relative, info.st_mode & 07777, info.st_size, info.st_mtime));
    char buffer[64 * 1024];
    int64_t left = info.st_size;
    while (left > 0) {
      ssize_t got =
          ::read(file.fd, buffer, static_cast<size_t>(std::min<int64_t>(left, sizeof buffer)));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Unexpected(IoError("cannot read", full, errno));
      if (got == 0) break;
      TRY(tar_.WriteData({buffer, static_cast<size_t>(got)}));
      left -= got;
    }
    if (left != 0) {
      return Unexpected(ErrorCode::kIo,
                        full + " became shorter while it was being archived; try again");
    }
    return Ok();
  }

  Status AddSymlink(const std::string& relative, int64_t mtime) {
    std::string full = Full(relative);
    std::string target(4096, '\0');
    ssize_t length = ::readlink(full.c_str(), target.data(), target.size());
    if (length < 0) return Unexpected(IoError("cannot read the symbolic link", full, errno));
    target.resize(static_cast<size_t>(length));
    if (!StaysInside(relative, target)) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "the symbolic link " + full + " points to \"" + target +
                            "\", outside the directory; a build context can only link to "
                            "files inside it");
    }
    TRY(CheckSize(0));
    return tar_.AddSymlink(relative, target, mtime);
  }

  // Whether `target`, read from the link at `link` (relative to the root), names something
  // inside the root. Resolved by name, as the kernel does, except that `..` after a component
  // that is itself a symbolic link (whose parent is elsewhere) is refused rather than followed.
  bool StaysInside(const std::string& link, std::string_view target) const {
    if (target.empty() || target.front() == '/') return false;
    std::vector<std::string> parts;
    for (size_t start = 0, slash; start < link.size(); start = slash + 1) {
      slash = link.find('/', start);
      if (slash == std::string::npos) slash = link.size();
      parts.push_back(link.substr(start, slash - start));
    }
    parts.pop_back();  // the link itself: its target is read from its directory
    for (size_t start = 0, slash; start <= target.size(); start = slash + 1) {
      slash = target.find('/', start);
      if (slash == std::string_view::npos) slash = target.size();
      std::string_view part = target.substr(start, slash - start);
      if (part.empty() || part == ".") continue;
      if (part != "..") {
        parts.emplace_back(part);
        continue;
      }
      if (parts.empty()) return false;
      std::string prefix;
      for (const std::string& p : parts) prefix += (prefix.empty() ? "" : "/") + p;
      struct stat info;
      if (::lstat(Full(prefix).c_str(), &info) == 0) {
        if (S_ISLNK(info.st_mode)) return false;
      } else if (errno != ENOENT && errno != ENOTDIR) {
        return false;
      }
      parts.pop_back();
    }
    return true;
  }

  std::string root_;
  size_t max_bytes_;
  TarWriter tar_;
};

}  // namespace

TarWriter::TarWriter() : archive_(archive_write_new()) {
  // Failures here surface as errors from the first Add or from Finish.
  if (archive_ == nullptr) return;
  if (archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
      archive_write_add_filter_none(archive_) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(archive_, 1) != ARCHIVE_OK ||
      archive_write_open(archive_, &out_, nullptr, AppendTo, nullptr) != ARCHIVE_OK) {
    archive_write_free(archive_);
    archive_ = nullptr;
  }
}

TarWriter::~TarWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
}

Unexpected TarWriter::Fail(std::string_view what) {
  std::string message = "cannot write the tar archive: " + std::string(what);
  if (archive_ != nullptr && archive_error_string(archive_) != nullptr) {
    message += std::string(": ") + archive_error_string(archive_);
  }
  return Unexpected(ErrorCode::kInternal, message);
}

Status TarWriter::CheckFileComplete() {
  if (archive_ == nullptr) return Fail("libarchive could not be set up");
  if (finished_) return Fail("the archive is already finished");
  if (pending_ != 0) return Fail(std::to_string(pending_) + " bytes of the last file are missing");
  return Ok();
}

Status TarWriter::Header(std::string_view path, unsigned type, mode_t mode, int64_t size,
                         int64_t mtime, std::string_view symlink) {
  TRY(CheckFileComplete());
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "\"" + std::string(path) + "\" is not a relative path for a tar entry");
  }
  archive_entry* entry = archive_entry_new();
  if (entry == nullptr) return Fail("out of memory");
  archive_entry_copy_pathname(entry, std::string(path).c_str());
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, mode & 07777);
  archive_entry_set_size(entry, size);
  archive_entry_set_mtime(entry, mtime, 0);
  archive_entry_set_uid(entry, 0);
  archive_entry_set_gid(entry, 0);
  archive_entry_copy_uname(entry, "root");
  archive_entry_copy_gname(entry, "root");
  if (type == AE_IFLNK) archive_entry_copy_symlink(entry, std::string(symlink).c_str());
  int status = archive_write_header(archive_, entry);
  archive_entry_free(entry);
  // ARCHIVE_WARN: a name that is not valid in the locale's charset is kept as raw bytes.
  if (status < ARCHIVE_WARN) return Fail("cannot add " + std::string(path));
  pending_ = size;
  return Ok();
}

Status TarWriter::AddFile(std::string_view path, mode_t mode, std::string_view data,
                          int64_t mtime) {
  TRY(BeginFile(path, mode, static_cast<int64_t>(data.size()), mtime));
  return WriteData(data);
}

Status TarWriter::BeginFile(std::string_view path, mode_t mode, int64_t size, int64_t mtime) {
  if (size < 0) return Fail("negative size for " + std::string(path));
  return Header(path, AE_IFREG, mode, size, mtime, {});
}

Status TarWriter::WriteData(std::string_view piece) {
  if (archive_ == nullptr || finished_) return Fail("no file to write to");
  if (static_cast<int64_t>(piece.size()) > pending_) return Fail("more data than the file's size");
  while (!piece.empty()) {
    la_ssize_t written = archive_write_data(archive_, piece.data(), piece.size());
    if (written <= 0) return Fail("cannot write file data");
    piece.remove_prefix(static_cast<size_t>(written));
    pending_ -= written;
  }
  return Ok();
}

Status TarWriter::AddDirectory(std::string_view path, mode_t mode, int64_t mtime) {
  return Header(path, AE_IFDIR, mode, 0, mtime, {});
}

Status TarWriter::AddSymlink(std::string_view path, std::string_view target, int64_t mtime) {
  if (target.empty() || target.find('\0') != std::string_view::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "the symbolic link \"" + std::string(path) + "\" needs a target");
  }
  return Header(path, AE_IFLNK, 0777, 0, mtime, target);
}

Result<std::string> TarWriter::Finish() {
  TRY(CheckFileComplete());
  finished_ = true;
  if (archive_write_close(archive_) != ARCHIVE_OK) return Fail("cannot end the archive");
  return std::move(out_);
}

Result<std::string> TarDirectory(const std::string& dir, size_t max_bytes) {
  return DirectoryArchiver(dir, max_bytes).Run();
}

}  // namespace yard::images
