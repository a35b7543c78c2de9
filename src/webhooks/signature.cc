#include "webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <optional>

namespace yard::webhooks {
namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kSecretBytes = 32;
using Digest = std::array<unsigned char, kSha256Bytes>;

std::string ToHex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return hex;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 32 bytes that 64 hex digits spell, or nullopt for anything else.
std::optional<Digest> ParseDigestHex(std::string_view hex) {
  if (hex.size() != kSha256Bytes * 2) return std::nullopt;
  Digest digest{};
  for (size_t i = 0; i < kSha256Bytes; ++i) {
    int high = HexValue(hex[2 * i]);
    int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return digest;
}

Digest Sha256(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  // HMAC() keeps no state between calls; a null result (only on allocation failure) leaves
  // the digest zero, which no sender's signature matches by chance.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return digest;
}

}  // namespace

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  Digest digest = HmacSha256(key, data);
  return ToHex(digest.data(), digest.size());
}

std::string Sha256Hex(std::string_view data) {
  Digest digest = Sha256(data);
  return ToHex(digest.data(), digest.size());
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  Digest left = Sha256(a);
  Digest right = Sha256(b);
  return CRYPTO_memcmp(left.data(), right.data(), left.size()) == 0;
}

bool VerifyHmacSha256Hex(std::string_view key, std::string_view data,
                         std::string_view signature) {
  Digest expected = HmacSha256(key, data);
  std::optional<Digest> given = ParseDigestHex(signature);
  if (!given) return false;
  bool equal = CRYPTO_memcmp(expected.data(), given->data(), expected.size()) == 0;
  // An empty secret would let anyone sign: it never verifies (checked last, so that the time
  // taken does not tell it apart either).
  return equal && !key.empty();
}

Result<std::string> GenerateSecret() {
  std::array<unsigned char, kSecretBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return Unexpected(ErrorCode::kInternal, "the system random generator failed");
  }
  return ToHex(random.data(), random.size());
}

}  // namespace yard::webhooks
