#include "devgit/basic_auth.h"

#include <openssl/evp.h>

#include <cctype>
#include <vector>

namespace yard::devgit {

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  std::string plain = std::string(user) + ":" + std::string(password);
  std::vector<unsigned char> out(4 * ((plain.size() + 2) / 3) + 1);
  int length = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(plain.data()),
                               static_cast<int>(plain.size()));
  return "Basic " + std::string(reinterpret_cast<const char*>(out.data()),
                                static_cast<size_t>(length));
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  constexpr size_t kMaxHeader = 4096;
  if (header.size() > kMaxHeader || header.size() < 6) return std::nullopt;
  std::string scheme(header.substr(0, 6));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "basic ") return std::nullopt;
  std::string_view encoded = header.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  if (encoded.empty() || encoded.size() % 4 != 0 ||
      encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
          std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<unsigned char> out(encoded.size() / 4 * 3 + 1);
  int length = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(encoded.data()),
                               static_cast<int>(encoded.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's zero bytes as data.
  size_t size = static_cast<size_t>(length);
  for (size_t i = encoded.size(); i > 0 && encoded[i - 1] == '='; --i) --size;
  std::string plain(reinterpret_cast<const char*>(out.data()), size);
  size_t colon = plain.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{plain.substr(0, colon), plain.substr(colon + 1)};
}

}  // namespace yard::devgit
