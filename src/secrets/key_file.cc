#include "secrets/key_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace yard::secrets {
namespace {

Unexpected Refuse(const std::string& path, std::string_view problem, std::string_view remedy) {
  return Unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("the secrets key {} {}: {}", path, problem, remedy));
}

Result<KeyFile> Create(const std::string& path) {
  std::string key(kKeySize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeySize) != 1) {
    return Unexpected(ErrorCode::kInternal, "the system's random generator failed");
  }
  // O_EXCL: two servers cannot both make a key (the data dir lock is taken first anyway).
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    return Unexpected(ErrorCode::kIo,
                      fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  if (::write(fd.get(), key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
      ::fsync(fd.get()) != 0) {
    int error = errno;
    ::unlink(path.c_str());
    return Unexpected(ErrorCode::kIo,
                      fmt::format("cannot write {}: {}", path, std::strerror(error)));
  }
  return KeyFile{TRY(SecretBox::FromKey(key)), true};
}

}  // namespace

Result<KeyFile> LoadOrCreateKey(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Unexpected(ErrorCode::kIo,
                        fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    }
    return Create(path);
  }
  if (!S_ISREG(st.st_mode)) {
    return Refuse(path, "is not a regular file",
                  "put the key file back (restore it from a backup)");
  }
  if ((st.st_mode & 077) != 0) {
    return Refuse(path, fmt::format("may be read by others (mode {:04o})", st.st_mode & 07777),
                  fmt::format("run chmod 600 {}", path));
  }
  if (st.st_size != static_cast<off_t>(kKeySize)) {
    return Refuse(path, fmt::format("is damaged ({} bytes, not {})", st.st_size, kKeySize),
                  "restore it from a backup; without it the stored secrets cannot be read");
  }
  std::string key = TRY(fs::ReadFile(path, kKeySize + 1));
  if (key.size() != kKeySize) {
    return Refuse(path, "changed while it was read", "start the server again");
  }
  return KeyFile{TRY(SecretBox::FromKey(key)), false};
}

}  // namespace yard::secrets
