#include "controller/checkout_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/core.h>
#include <openssl/evp.h>

#include "base/log.h"

namespace yard::controller {
namespace {

// How deep HandOverToOwners descends into .git (objects/pack/... is 3; refs can nest deeper).
constexpr int kMaxHandOverDepth = 32;

// Opens directory `relative` ("" for `root` itself) beneath `root`, one component at a time
// without following symlinks. Invalid when a component is missing or not a directory.
UniqueFd OpenDirBeneath(int root, std::string_view relative) {
  UniqueFd dir(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  size_t begin = 0;
  while (dir && begin < relative.size()) {
    size_t end = relative.find('/', begin);
    if (end == std::string_view::npos) end = relative.size();
    std::string name(relative.substr(begin, end - begin));
    dir.reset(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    begin = end + 1;
  }
  return dir;
}

std::pair<std::string_view, std::string> SplitParent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(path)};
  return {path.substr(0, slash), std::string(path.substr(slash + 1))};
}

// The id git gives a blob holding `size` bytes, fed by `read` (which returns how many bytes it
// put in the buffer, 0 at the end, -1 on error). nullopt when the data is not `size` bytes.
template <typename Reader>
std::optional<std::string> BlobId(uint64_t size, bool sha256, Reader read) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (!context ||
      EVP_DigestInit_ex(context.get(), sha256 ? EVP_sha256() : EVP_sha1(), nullptr) != 1) {
    return std::nullopt;
  }
  std::string header = fmt::format("blob {}", size);
  EVP_DigestUpdate(context.get(), header.data(), header.size() + 1);  // with its NUL
  std::array<char, 65536> buffer;
  uint64_t total = 0;
  while (true) {
    ssize_t got = read(buffer.data(), buffer.size());
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    total += static_cast<uint64_t>(got);
    if (total > size) return std::nullopt;
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(got));
  }
  if (total != size) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Gives `owner` the entry `name` in `dir` when this process owns it.
void HandOverEntry(int dir, const std::string& name, const struct stat& info, const Owner& owner) {
  if (info.st_uid != ::geteuid() || (info.st_uid == owner.uid && info.st_gid == owner.gid)) return;
  if (::fchownat(dir, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    log::Warn("cannot give {} to uid {}: {}", name, owner.uid, std::strerror(errno));
  }
}

// Every entry beneath `dir` (the checkout's .git): objects, refs, logs, the index.
void HandOverTree(int dir, const Owner& owner, int depth) {
  UniqueFd listing(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* stream = listing ? ::fdopendir(listing.get()) : nullptr;
  if (stream == nullptr) return;
  listing.release();  // the DIR owns it now
  struct CloseDir {
    void operator()(DIR* stream) const { ::closedir(stream); }
  };
  std::unique_ptr<DIR, CloseDir> closer(stream);
  while (dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat info {};
    if (::fstatat(dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    HandOverEntry(dir, name, info, owner);
    if (S_ISDIR(info.st_mode) && depth < kMaxHandOverDepth) {
      UniqueFd child(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child) HandOverTree(child.get(), owner, depth + 1);
    }
  }
}

// The file at `relative` beneath `root` and the directories on the way to it.
void HandOverPath(int root, std::string_view relative, const Owner& owner) {
  UniqueFd dir(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  size_t begin = 0;
  while (dir && begin < relative.size()) {
    size_t end = relative.find('/', begin);
    if (end == std::string_view::npos) end = relative.size();
    std::string name(relative.substr(begin, end - begin));
    struct stat info {};
    if (::fstatat(dir.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return;
    HandOverEntry(dir.get(), name, info, owner);
    if (end == relative.size() || !S_ISDIR(info.st_mode)) return;
    dir.reset(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    begin = end + 1;
  }
}

}  // namespace

UniqueFd OpenCheckoutRoot(const std::string& dir) {
  return UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

bool WorkTreeMatches(int root, const IndexEntry& entry) {
  if (entry.mode == "160000" || entry.tag == 'S') return true;  // submodule, sparse: not here
  auto [parent, leaf] = SplitParent(entry.path);
  UniqueFd dir = OpenDirBeneath(root, parent);
  if (!dir) return false;
  struct stat info {};
  if (::fstatat(dir.get(), leaf.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return false;
  bool sha256 = entry.id.size() == 64;
  if (entry.mode == "120000") {
    if (!S_ISLNK(info.st_mode)) return false;
    std::string target(static_cast<size_t>(info.st_size) + 1, '\0');
    ssize_t length = ::readlinkat(dir.get(), leaf.c_str(), target.data(), target.size());
    if (length < 0 || static_cast<size_t>(length) >= target.size()) return false;
    target.resize(static_cast<size_t>(length));
    bool done = false;
    auto id = BlobId(target.size(), sha256, [&](char* buffer, size_t) -> ssize_t {
      if (done) return 0;
      done = true;
      std::copy(target.begin(), target.end(), buffer);
      return static_cast<ssize_t>(target.size());
    });
    return id == entry.id;
  }
  if (entry.mode != "100644" && entry.mode != "100755") return false;
  if (!S_ISREG(info.st_mode)) return false;
  if (((info.st_mode & S_IXUSR) != 0) != (entry.mode == "100755")) return false;
  // O_NONBLOCK: should the name have become a FIFO since fstatat, opening it must not hang.
  UniqueFd file(::openat(dir.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) return false;
  auto id = BlobId(static_cast<uint64_t>(info.st_size), sha256,
                   [&](char* buffer, size_t size) { return ::read(file.get(), buffer, size); });
  return id == entry.id;
}

bool ExistsBeneath(int root, std::string_view relative) {
  auto [parent, leaf] = SplitParent(relative);
  UniqueFd dir = OpenDirBeneath(root, parent);
  struct stat info {};
  return dir && ::fstatat(dir.get(), leaf.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0;
}

void HandOverToOwners(const std::string& dir, const std::vector<std::string>& written) {
  if (::geteuid() != 0) return;
  UniqueFd root = OpenCheckoutRoot(dir);
  if (!root) return;
  struct stat info {};
  UniqueFd git_dir(::openat(root.get(), ".git", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (git_dir && ::fstat(git_dir.get(), &info) == 0 && info.st_uid != ::geteuid()) {
    HandOverTree(git_dir.get(), Owner{info.st_uid, info.st_gid}, 0);
  }
  if (::fstat(root.get(), &info) == 0 && info.st_uid != ::geteuid()) {
    for (const std::string& path : written) {
      HandOverPath(root.get(), path, Owner{info.st_uid, info.st_gid});
    }
  }
}

}  // namespace yard::controller
