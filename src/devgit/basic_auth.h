#pragma once

// HTTP Basic credentials (RFC 7617), as git sends them.

#include <optional>
#include <string>
#include <string_view>

namespace yard::devgit {

struct BasicCredentials {
  std::string user;
  std::string password;
};

/// "Basic " + base64(user ":" password).
std::string BasicAuthorization(std::string_view user, std::string_view password);

/// The credentials of an Authorization header's value; nullopt unless it is well-formed Basic.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

}  // namespace yard::devgit
