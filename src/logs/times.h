#pragma once

// Times as people and engines write them, for logs: the engine's RFC 3339 timestamps with
// nanoseconds, and the `--since`/`--until` of `yard logs` and the API ("10m" ago, an RFC 3339
// time, or Unix seconds).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yard::logs {

/// "2026-11-27T14:00:00.123456789Z" and offsets ("+02:00"); any number of fraction digits
/// (beyond 9 ignored). nullopt when malformed.
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

/// "2026-11-27T14:00:00.123456789Z" (always 9 fraction digits, UTC).
std::string FormatRfc3339Nanos(int64_t time_ns);

/// A point in time for --since/--until: a duration ago ("90s", "10m", "2h", "1d"), an RFC 3339
/// time, a date ("2026-11-27", midnight UTC), or Unix seconds. nullopt when none of these.
std::optional<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ns);

}  // namespace yard::logs
