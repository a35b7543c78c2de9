#include "auth/session.h"

#include <fmt/core.h>
#include <openssl/rand.h>

#include <vector>

#include "auth/token.h"

namespace yard::auth {
namespace {

constexpr size_t kSecretBytes = 32;
constexpr size_t kCsrfBytes = 32;
// A User-Agent is kept for the user's own information only; a huge one is cut.
constexpr size_t kMaxUserAgent = 256;

}  // namespace

Result<std::string> RandomHex(size_t count) {
  std::vector<unsigned char> bytes(count);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Unexpected(ErrorCode::kInternal, "the system random generator failed");
  }
  std::string hex;
  hex.reserve(count * 2);
  for (unsigned char byte : bytes) hex += fmt::format("{:02x}", byte);
  return hex;
}

Result<StartedSession> StartSession(store::SessionStore& sessions, int64_t user_id,
                                    std::chrono::seconds lifetime, int64_t now,
                                    const SessionClient& client) {
  std::string secret = TRY(RandomHex(kSecretBytes));
  std::string csrf = TRY(RandomHex(kCsrfBytes));
  store::Session session = TRY(sessions.Create({
      .user_id = user_id,
      .secret_hash = HashToken(secret),
      .csrf_token = std::move(csrf),
      .expires_at = now + lifetime.count(),
      .remote = client.remote,
      .user_agent = client.user_agent.substr(0, kMaxUserAgent),
  }));
  return StartedSession{std::move(session), std::move(secret)};
}

std::string_view CookieValue(std::string_view header, std::string_view name) {
  // RFC 6265: cookie-pairs separated by "; ". The first pair with the name wins.
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos || pair.substr(0, equals) != name) continue;
    std::string_view value = pair.substr(equals + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return {};
}

}  // namespace yard::auth
