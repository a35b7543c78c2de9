#include "auth/password.h"

#include <fmt/core.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <optional>
#include <vector>

namespace yard::auth {
namespace {

constexpr std::string_view kScheme = "scrypt";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
// Bounds on what a stored string may ask for, so that a damaged row cannot make the server
// allocate gigabytes: 2^20 blocks of r = 8 is already 1 GiB.
constexpr int kMaxLogN = 20;
constexpr int kMaxR = 32;
constexpr int kMaxP = 16;
constexpr uint64_t kMaxMemory = 256ull << 20;

using Bytes = std::vector<unsigned char>;

std::string Base64(const Bytes& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                               static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  while (!out.empty() && out.back() == '=') out.pop_back();  // PHC strings leave padding out
  return out;
}

std::optional<Bytes> FromBase64(std::string_view text) {
  // EVP_DecodeBlock skips whitespace and wants padding; check the alphabet ourselves so that
  // only the canonical unpadded form is accepted.
  if (text.empty() || text.size() % 4 == 1) return std::nullopt;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::string padded(text);
  size_t padding = (4 - padded.size() % 4) % 4;
  padded.append(padding, '=');
  Bytes out(padded.size() / 4 * 3);
  int length = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(padded.data()),
                               static_cast<int>(padded.size()));
  if (length < 0 || static_cast<size_t>(length) < padding) return std::nullopt;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

uint64_t MemoryFor(const ScryptParams& params) {
  // What OpenSSL allocates: 128·r·(N + 2) for V plus 128·r·p for B, with room to spare.
  uint64_t n = uint64_t{1} << params.log_n;
  return 128ull * static_cast<uint64_t>(params.r) * (n + 2) +
         128ull * static_cast<uint64_t>(params.r) * static_cast<uint64_t>(params.p) + (1u << 20);
}

Status CheckParams(const ScryptParams& params) {
  if (params.log_n < 1 || params.log_n > kMaxLogN || params.r < 1 || params.r > kMaxR ||
      params.p < 1 || params.p > kMaxP || MemoryFor(params) > kMaxMemory + (1u << 20)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("unsupported scrypt parameters ln={},r={},p={}", params.log_n,
                                  params.r, params.p));
  }
  return Ok();
}

Result<Bytes> Derive(std::string_view password, const Bytes& salt, const ScryptParams& params,
                     size_t length) {
  Bytes key(length);
  const char* text = password.empty() ? "" : password.data();
  if (EVP_PBE_scrypt(text, password.size(), salt.data(), salt.size(), uint64_t{1} << params.log_n,
                     static_cast<uint64_t>(params.r), static_cast<uint64_t>(params.p),
                     MemoryFor(params), key.data(), key.size()) != 1) {
    return Unexpected(ErrorCode::kInternal, "scrypt failed");
  }
  return key;
}

// Reads "name=<int>" from the front of `text`, followed by `end` (or the end of text).
std::optional<int> Param(std::string_view& text, std::string_view name, char end) {
  if (!text.starts_with(name) || text.size() <= name.size() || text[name.size()] != '=') {
    return std::nullopt;
  }
  text.remove_prefix(name.size() + 1);
  int value = 0;
  auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || ptr == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(ptr - text.data()));
  if (end != '\0') {
    if (text.empty() || text.front() != end) return std::nullopt;
    text.remove_prefix(1);
  } else if (!text.empty()) {
    return std::nullopt;
  }
  return value;
}

struct Parsed {
  ScryptParams params;
  Bytes salt;
  Bytes hash;
};

Result<Parsed> Parse(std::string_view stored) {
  auto malformed = [] {
    return Unexpected(ErrorCode::kInvalidArgument, "malformed password hash");
  };
  std::vector<std::string_view> parts;
  while (true) {
    size_t dollar = stored.find('$');
    parts.push_back(stored.substr(0, dollar));
    if (dollar == std::string_view::npos) break;
    stored.remove_prefix(dollar + 1);
  }
  if (parts.size() != 5 || !parts[0].empty()) return malformed();
  if (parts[1] != kScheme) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("unsupported password hash scheme '{}'", parts[1]));
  }
  Parsed parsed;
  std::string_view text = parts[2];
  auto log_n = Param(text, "ln", ',');
  auto r = log_n ? Param(text, "r", ',') : std::nullopt;
  auto p = r ? Param(text, "p", '\0') : std::nullopt;
  if (!p) return malformed();
  parsed.params = ScryptParams{.log_n = *log_n, .r = *r, .p = *p};
  TRY(CheckParams(parsed.params));
  auto salt = FromBase64(parts[3]);
  auto hash = FromBase64(parts[4]);
  if (!salt || !hash || salt->size() < 8 || salt->size() > 64 || hash->size() < 16 ||
      hash->size() > 64) {
    return malformed();
  }
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

}  // namespace

Status ValidatePassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the password is too long: at most {} bytes", kMaxPasswordBytes));
  }
  size_t chars = 0;
  for (char c : password) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;  // not a continuation byte
  }
  if (chars < kMinPasswordChars) {
    return Unexpected(
        ErrorCode::kInvalidArgument,
        fmt::format("the password is too short: at least {} characters", kMinPasswordChars));
  }
  return Ok();
}

Result<std::string> HashPassword(std::string_view password, const ScryptParams& params) {
  TRY(ValidatePassword(password));
  TRY(CheckParams(params));
  Bytes salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return Unexpected(ErrorCode::kInternal, "the system random generator failed");
  }
  Bytes hash = TRY(Derive(password, salt, params, kHashBytes));
  return fmt::format("${}$ln={},r={},p={}${}${}", kScheme, params.log_n, params.r, params.p,
                     Base64(salt), Base64(hash));
}

Result<bool> VerifyPassword(std::string_view password, std::string_view stored) {
  Parsed parsed = TRY(Parse(stored));
  // Too long a password never matches: none can have been set.
  if (password.size() > kMaxPasswordBytes) return false;
  Bytes derived = TRY(Derive(password, parsed.salt, parsed.params, parsed.hash.size()));
  return CRYPTO_memcmp(derived.data(), parsed.hash.data(), derived.size()) == 0;
}

}  // namespace yard::auth
