#pragma once

// Generated hostnames of deployment endpoints: `<label>.<domain>`, one DNS label per
// endpoint, so that a single wildcard DNS record (`*.domain`) and a single wildcard
// certificate cover a whole installation.
//
// The label is `ENDPOINT-DEPLOYMENT-PROJECT` when none of the three names contains a '-'
// and it fits in 63 characters: such a label has exactly two dashes and reads back
// unambiguously. Otherwise (a name with a dash could make `a-b` + `c` and `a` + `b-c` meet,
// or the label is too long) the names are shortened as needed and a 6-character digest of
// the three exact names is appended: `web-my-app-shop-k3v9qa`. Such labels have at least three
// dashes, so they never meet a plain one; two of them meet only if their digests do (30 bits).
// The label depends on the three names alone: stable across restarts and versions.

#include <string>
#include <string_view>

namespace yard::edge {

inline constexpr size_t kMaxLabel = 63;

/// The DNS label for an endpoint of a deployment of a project. The names are valid names
/// (lowercase letters, digits and '-'; see base/names.h).
std::string EndpointLabel(std::string_view endpoint, std::string_view deployment,
                          std::string_view project);

/// `EndpointLabel(...) + "." + domain`.
std::string EndpointHost(std::string_view endpoint, std::string_view deployment,
                         std::string_view project, std::string_view domain);

}  // namespace yard::edge
