#include "server/data_dir.h"

#include <fmt/core.h>

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

}  // namespace yard::server
