#include "auth/token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include <fmt/core.h>

namespace yard::auth {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr size_t kSecretChars = 40;
constexpr size_t kShownChars = 4;  // characters after the prefix shown in listings

}  // namespace

Result<NewToken> GenerateToken() {
  std::string secret(kTokenPrefix);
  while (secret.size() < kTokenPrefix.size() + kSecretChars) {
    std::array<unsigned char, 64> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
      return Unexpected(ErrorCode::kInternal, "the system random generator failed");
    }
    for (unsigned char byte : random) {
      // Rejection sampling keeps every character equally likely: 248 = 4 * 62.
      if (byte >= 248) continue;
      secret.push_back(kAlphabet[byte % kAlphabet.size()]);
      if (secret.size() == kTokenPrefix.size() + kSecretChars) break;
    }
  }
  NewToken token;
  token.hash = HashToken(secret);
  token.prefix = secret.substr(0, kTokenPrefix.size() + kShownChars);
  token.secret = std::move(secret);
  return token;
}

std::string HashToken(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

bool LooksLikeToken(std::string_view text) {
  if (text.size() != kTokenPrefix.size() + kSecretChars) return false;
  if (text.substr(0, kTokenPrefix.size()) != kTokenPrefix) return false;
  for (char c : text.substr(kTokenPrefix.size())) {
    if (kAlphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace yard::auth
