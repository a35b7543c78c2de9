#include "auth/ssh_public_key.h"

#include <libssh/libssh.h>
#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/core.h>

namespace yard::auth {
namespace {

constexpr size_t kMaxLineBytes = 16 * 1024;  // an RSA-16384 key is about 2.8 KB

Unexpected Invalid(std::string message) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(message));
}

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<std::vector<unsigned char>> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(text.size() / 4 * 3);
  int length = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                               static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

// Reads the SSH wire format (RFC 4251): uint32 length-prefixed strings.
class BlobReader {
 public:
  explicit BlobReader(const std::vector<unsigned char>& blob) : blob_(blob) {}
  std::optional<std::string_view> String() {
    if (blob_.size() - offset_ < 4) return std::nullopt;
    uint32_t length = (uint32_t{blob_[offset_]} << 24) | (uint32_t{blob_[offset_ + 1]} << 16) |
                      (uint32_t{blob_[offset_ + 2]} << 8) | uint32_t{blob_[offset_ + 3]};
    offset_ += 4;
    if (blob_.size() - offset_ < length) return std::nullopt;
    std::string_view value(reinterpret_cast<const char*>(blob_.data()) + offset_, length);
    offset_ += length;
    return value;
  }

 private:
  const std::vector<unsigned char>& blob_;
  size_t offset_ = 0;
};

// Significant bits of a big-endian unsigned integer (an SSH mpint without its sign byte).
int BitLength(std::string_view mpint) {
  size_t start = 0;
  while (start < mpint.size() && mpint[start] == 0) ++start;
  if (start == mpint.size()) return 0;
  int bits = static_cast<int>(mpint.size() - start - 1) * 8;
  for (auto top = static_cast<unsigned char>(mpint[start]); top != 0; top >>= 1) ++bits;
  return bits;
}

std::optional<int> FixedBits(std::string_view type) {
  if (type == "ssh-ed25519") return 256;
  if (type == "ecdsa-sha2-nistp256") return 256;
  if (type == "ecdsa-sha2-nistp384") return 384;
  if (type == "ecdsa-sha2-nistp521") return 521;
  return std::nullopt;
}


Status CheckType(std::string_view type) {
  if (FixedBits(type) || type == "ssh-rsa") return Ok();
  if (type == "ssh-dss") {
    return Invalid("DSA keys are not accepted: they are insecure and OpenSSH no longer "
                   "supports them; generate an ed25519 key with `ssh-keygen -t ed25519`");
  }
  if (type.find("-cert-v01@openssh.com") != std::string_view::npos) {
    return Invalid("SSH certificates are not accepted; add the plain public key instead");
  }
  if (type.starts_with("sk-")) {
    return Invalid(fmt::format("security-key ({}) keys are not supported yet; use an "
                               "ed25519, ECDSA or RSA key",
                               type));
  }
  return Invalid(fmt::format("unsupported key type '{}' (accepted: ssh-ed25519, "
                             "ecdsa-sha2-nistp256/384/521, ssh-rsa of {} bits or more)",
                             type, kMinRsaBits));
}

}  // namespace

Result<std::string> KeyFingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
    return Unexpected(ErrorCode::kInternal, "cannot hash the public key");
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) return Unexpected(ErrorCode::kInternal, "cannot format the fingerprint");
  std::string fingerprint(text);
  ssh_string_free_char(text);
  return fingerprint;
}

std::string SshPublicKey::ToLine() const {
  return comment.empty() ? type + " " + base64 : type + " " + base64 + " " + comment;
}

Result<SshPublicKey> ParseSshPublicKey(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return Invalid(fmt::format("the key is longer than {} bytes", kMaxLineBytes));
  }
  line = Trim(line);
  if (line.empty()) return Invalid("the key is empty");
  if (line.find("PRIVATE KEY") != std::string_view::npos) {
    return Invalid("this is a private key: never share it; give the public key (the .pub "
                   "file, e.g. ~/.ssh/id_ed25519.pub)");
  }
  if (line.find('\n') != std::string_view::npos) {
    return Invalid("give one key at a time (the text has several lines)");
  }
  if (line.find('\0') != std::string_view::npos) return Invalid("the key contains a NUL byte");

  size_t type_end = line.find_first_of(" \t");
  if (type_end == std::string_view::npos) {
    return Invalid("expected 'TYPE BASE64 [COMMENT]', such as 'ssh-ed25519 AAAAC3Nza... "
                   "you@laptop'");
  }
  SshPublicKey key;
  key.type = std::string(line.substr(0, type_end));
  TRY(CheckType(key.type));
  std::string_view rest = Trim(line.substr(type_end));
  size_t blob_end = rest.find_first_of(" \t");
  key.base64 = std::string(rest.substr(0, blob_end));
  if (blob_end != std::string_view::npos) key.comment = std::string(Trim(rest.substr(blob_end)));

  auto blob = DecodeBase64(key.base64);
  if (!blob) return Invalid("the key data is not valid base64; was the key cut or wrapped?");
  BlobReader reader(*blob);
  auto inner_type = reader.String();
  if (!inner_type) return Invalid("the key data is truncated");
  if (*inner_type != key.type) {
    return Invalid(fmt::format("the key says it is '{}' but its data is a '{}' key", key.type,
                               *inner_type));
  }
  if (key.type == "ssh-rsa") {
    auto exponent = reader.String();
    auto modulus = reader.String();
    if (!exponent || !modulus) return Invalid("the RSA key data is truncated");
    key.bits = BitLength(*modulus);
    if (key.bits < kMinRsaBits) {
      return Invalid(fmt::format("this RSA key has {} bits; at least {} are required (or use "
                                 "ed25519: `ssh-keygen -t ed25519`)",
                                 key.bits, kMinRsaBits));
    }
  } else {
    key.bits = *FixedBits(key.type);
  }

  // libssh validates the key material itself (curve points, lengths) and computes the
  // fingerprint the same way OpenSSH does.
  ssh_key raw = nullptr;
  if (ssh_pki_import_pubkey_base64(key.base64.c_str(), ssh_key_type_from_name(key.type.c_str()),
                                   &raw) != SSH_OK) {
    return Invalid("the key data is corrupt (not a valid " + key.type + " public key)");
  }
  KeyPtr parsed(raw);
  key.fingerprint = TRY(KeyFingerprint(parsed.get()));
  return key;
}

}  // namespace yard::auth
