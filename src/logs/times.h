#pragma once

// Times as people and engines write them, for logs: the engine's RFC 3339 timestamps with
// nanoseconds, and the `--since`/`--until` of `yard logs` and the API ("10m" ago, an RFC 3339
// time, or Unix seconds).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/rfc3339.h"

namespace yard::logs {

// The RFC 3339 times of base/rfc3339.h, under the names the log code uses.
using ::yard::FormatRfc3339Nanos;
using ::yard::ParseRfc3339Nanos;

/// A point in time for --since/--until: a duration ago ("90s", "10m", "2h", "1d"), an RFC 3339
/// time, a date ("2026-11-27", midnight UTC), or Unix seconds. nullopt when none of these.
std::optional<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ns);

}  // namespace yard::logs
