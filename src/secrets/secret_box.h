#pragma once

// Secrets at rest (docs/configuration.md): values sealed with AES-256-GCM under the
// installation's key (key_file.h), kept as text so that they fit the store's text columns:
//
//   enc:v1:<base64 of nonce (12 bytes) + ciphertext + tag (16 bytes)>
//
// A fresh random nonce per value: sealing the same value twice gives different texts. The
// tag makes any change to the text, or a text sealed under another key, fail to open.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::secrets {

inline constexpr std::string_view kSealedPrefix = "enc:v1:";
inline constexpr size_t kKeySize = 32;

/// True when `text` is a sealed value (by its prefix; whether it opens is another matter).
bool IsSealed(std::string_view text);

/// Seals and opens values under one key. Immutable, so thread-safe.
class SecretBox {
 public:
  /// kInvalidArgument unless `key` is kKeySize bytes.
  static Result<SecretBox> FromKey(std::string_view key);

  /// The sealed text of `plain`. kInternal when the system's random generator fails.
  Result<std::string> Seal(std::string_view plain) const;
  /// The plain value of a sealed text; a text that is not sealed is returned as it is (values
  /// that are not secret, and values stored before encryption existed). kFailedPrecondition
  /// when the text was changed or was sealed under another key.
  Result<std::string> Open(std::string_view text) const;
  /// Seals `plain` unless it is sealed already (idempotent).
  Result<std::string> SealOnce(std::string_view text) const;

 private:
  explicit SecretBox(std::string_view key);
  std::array<uint8_t, kKeySize> key_{};
};

/// `text` opened with `box`; a sealed text with no box (`box` null) is kFailedPrecondition.
Result<std::string> OpenWith(const SecretBox* box, std::string_view text);
/// Every value of `values` opened, as OpenWith.
Result<std::map<std::string, std::string>> OpenAll(const SecretBox* box,
                                                   const std::map<std::string, std::string>& values);

}  // namespace yard::secrets
