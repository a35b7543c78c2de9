#include "server/data_dir.h"

#include <fmt/core.h>
#include <openssl/rand.h>

namespace yard::server {

Result<DataDir> DataDir::Open(const std::string& path) {
  std::string root = fs::Absolute(path);
  TRY_CTX(fs::CreateDirectories(root, 0700), "data dir");
  auto lock = fs::FileLock::Acquire(fs::Join(root, "server.lock"));
  if (!lock) {
    if (lock.error().code == ErrorCode::kFailedPrecondition) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("another yard server is already using {} ({}); stop it "
                                    "first or choose another --data-dir",
                                    root, lock.error().message));
    }
    return Unexpected(lock.error().WithContext("data dir"));
  }
  return DataDir(std::move(root), std::move(*lock));
}

Result<std::string> DataDir::InstallationId() const {
  std::string path = fs::Join(root_, "installation.id");
  if (fs::Exists(path)) {
    std::string text = TRY(fs::ReadFile(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.size() == 12) return text;
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is damaged: expected 12 characters", path));
  }
  unsigned char bytes[6];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Unexpected(ErrorCode::kInternal, "no randomness for the installation id");
  }
  std::string id;
  for (unsigned char byte : bytes) id += fmt::format("{:02x}", byte);
  TRY(fs::AtomicWriteFile(path, id + "\n", 0644));
  return id;
}

}  // namespace yard::server
