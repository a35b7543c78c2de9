#include "manifest/repository_view.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "manifest/paths.h"

namespace yard::manifest {

FilesystemRepositoryView::FilesystemRepositoryView(const std::string& root) {
  char resolved[PATH_MAX];
  root_ = realpath(root.c_str(), resolved) != nullptr ? std::string(resolved) : root;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Result<EntryKind> FilesystemRepositoryView::Stat(const std::string& path) {
  auto normalised = JoinRepositoryPath(".", path);
  if (!normalised || *normalised != path) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" is not a path inside the repository", path));
  }
  std::string full = path == "." ? root_ : root_ + "/" + path;
  char resolved[PATH_MAX];
  if (realpath(full.c_str(), resolved) == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return EntryKind::kMissing;
    return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", full, std::strerror(errno)));
  }
  std::string real(resolved);
  if (real != root_ && !(real.starts_with(root_) && real[root_.size()] == '/')) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" leads outside the repository (symbolic link)", path));
  }
  struct stat info {};
  if (::stat(real.c_str(), &info) != 0) {
    return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", full, std::strerror(errno)));
  }
  if (S_ISDIR(info.st_mode)) return EntryKind::kDirectory;
  return EntryKind::kFile;
}

Result<EntryKind> InMemoryRepositoryView::Stat(const std::string& path) {
  if (path == ".") return EntryKind::kDirectory;
  if (files_.count(path) != 0) return EntryKind::kFile;
  auto next = files_.lower_bound(path + "/");
  if (next != files_.end() && next->starts_with(path + "/")) return EntryKind::kDirectory;
  return EntryKind::kMissing;
}

}  // namespace yard::manifest
