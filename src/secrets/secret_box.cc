#include "secrets/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace yard::secrets {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
// Bigger than any value the store keeps (env values stop at 128 KiB): a bound before base64.
constexpr size_t kMaxSealedText = 1 << 20;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Error Broken() {
  return Error{ErrorCode::kFailedPrecondition,
               "a sealed value does not open: it was changed, or sealed under another key than "
               "DATA_DIR/secrets.key"};
}

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> FromBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > kMaxSealedText) {
    return Unexpected(Broken());
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return Unexpected(Broken());
  // EVP_DecodeBlock counts padding as zero bytes.
  size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace

bool IsSealed(std::string_view text) { return text.starts_with(kSealedPrefix); }

SecretBox::SecretBox(std::string_view key) {
  std::copy(key.begin(), key.end(), key_.begin());
}

Result<SecretBox> SecretBox::FromKey(std::string_view key) {
  if (key.size() != kKeySize) {
    return Unexpected(ErrorCode::kInvalidArgument, "a secrets key is 32 bytes");
  }
  return SecretBox(key);
}

Result<std::string> SecretBox::Seal(std::string_view plain) const {
  if (plain.size() > kMaxSealedText / 2) {
    return Unexpected(ErrorCode::kTooLarge, "the value is too long to seal");
  }
  std::string out(kNonceSize + plain.size() + kTagSize, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(bytes, kNonceSize) != 1) {
    return Unexpected(ErrorCode::kInternal, "the system's random generator failed");
  }
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kNonceSize, &length,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kNonceSize + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          bytes + kNonceSize + plain.size()) != 1) {
    return Unexpected(ErrorCode::kInternal, "sealing a value failed");
  }
  return std::string(kSealedPrefix) + Base64(out);
}

Result<std::string> SecretBox::Open(std::string_view text) const {
  if (!IsSealed(text)) return std::string(text);
  std::string sealed = TRY(FromBase64(text.substr(kSealedPrefix.size())));
  if (sealed.size() < kNonceSize + kTagSize) return Unexpected(Broken());
  size_t size = sealed.size() - kNonceSize - kTagSize;
  auto* bytes = reinterpret_cast<unsigned char*>(sealed.data());
  std::string plain(size, '\0');
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &length,
                        bytes + kNonceSize, static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          bytes + kNonceSize + size) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + length,
                          &length) != 1) {
    return Unexpected(Broken());
  }
  return plain;
}

Result<std::string> SecretBox::SealOnce(std::string_view text) const {
  if (IsSealed(text)) return std::string(text);
  return Seal(text);
}

Result<std::string> OpenWith(const SecretBox* box, std::string_view text) {
  if (!IsSealed(text)) return std::string(text);
  if (box == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "a sealed value cannot be opened: no secrets key was loaded");
  }
  return box->Open(text);
}

Result<std::map<std::string, std::string>> OpenAll(
    const SecretBox* box, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : values) out[key] = TRY(OpenWith(box, value));
  return out;
}

}  // namespace yard::secrets
