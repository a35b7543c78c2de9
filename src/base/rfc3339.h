#pragma once

// RFC 3339 times with nanoseconds, as engines, conmon and the API write them. One parser for
// all of them: the engine's answers, conmon's log files, `yard logs --since`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yard {

/// "2026-11-27T14:00:00.123456789Z" and offsets ("+02:00"); 'T', 't' or a space between date
/// and time; any number of fraction digits (beyond 9 ignored). Nanoseconds since the epoch
/// (negative before it); nullopt when malformed.
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

/// "2026-11-27T14:00:00.123456789Z" (always 9 fraction digits, UTC).
std::string FormatRfc3339Nanos(int64_t time_ns);

}  // namespace yard
