#pragma once

// Custom domains: hostnames users give a deployment's endpoint, besides the generated one
// (hostnames.h). The edge routes them and obtains a certificate for each by ACME, so a name
// must be one a public CA can certify, and must stay clear of the generated names: those are
// exactly one label under the installation's base domain.

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::edge {

inline constexpr size_t kMaxHostname = 253;

/// `input` lowercased, without one trailing dot: the form hostnames are stored and compared
/// in. Does not validate (for looking up names that were stored earlier).
std::string CanonicalHostname(std::string_view input);

/// The canonical form of a custom domain, or kInvalidArgument saying what is wrong with which
/// part. A valid name has at least two labels of 1–63 characters of [a-z0-9-], none starting
/// or ending with '-', is at most 253 characters, and is not an IP address, a wildcard,
/// `localhost`, `base_domain` itself or a name exactly one label under `base_domain`.
/// Punycode labels (`xn--…`) are accepted; other non-ASCII input is refused with a hint to
/// write it in punycode.
Result<std::string> NormalizeCustomDomain(std::string_view input, std::string_view base_domain);

}  // namespace yard::edge
