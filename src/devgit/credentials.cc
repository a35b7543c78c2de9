#include "devgit/credentials.h"

#include <fmt/core.h>

#include "base/fs.h"
#include "webhooks/signature.h"

namespace yard::devgit {

Result<Credentials> Credentials::Open(const std::string& path) {
  if (fs::Exists(path)) {
    std::string key = TRY(fs::ReadFile(path));
    while (!key.empty() && (key.back() == '\n' || key.back() == ' ')) key.pop_back();
    if (key.size() != 64 || key.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{} is damaged: expected 64 hex digits (remove it to make "
                                    "a new key; running development deployments then need a "
                                    "restart to push again)",
                                    path));
    }
    return Credentials(std::move(key));
  }
  // webhooks/signature.h holds the installation's HMAC and CSPRNG helpers.
  std::string key = TRY(webhooks::GenerateSecret());
  TRY(fs::AtomicWriteFile(path, key + "\n", 0600));
  return Credentials(std::move(key));
}

std::string Credentials::UserName(const store::Deployment& d) {
  return fmt::format("{}.{}", d.name, d.project);
}

std::string Credentials::Token(const store::Deployment& d) const {
  // The id alone could come back (SQLite reuses the highest id after a delete); with the
  // creation time and the project it names one deployment for good.
  return webhooks::HmacSha256Hex(
      key_, fmt::format("stackyard development git\n{}\n{}\n{}", d.id, d.created_at, d.project));
}

bool Credentials::Verify(const store::Deployment& d, std::string_view token) const {
  return webhooks::ConstantTimeEquals(Token(d), token);
}

}  // namespace yard::devgit
