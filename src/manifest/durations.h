#pragma once

// Durations as written in manifests: "30s", "5m", "1h30m", "7d".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yard::manifest {

/// The longest duration a manifest may state (365 days), in seconds.
inline constexpr int64_t kMaxDurationSeconds = 365LL * 24 * 3600;

/// Parses one or more `<digits><unit>` groups, units s, m, h, d. nullopt when malformed,
/// empty, or longer than kMaxDurationSeconds.
std::optional<int64_t> ParseDuration(std::string_view text);

/// The shortest canonical text for a number of seconds ("90" -> "1m30s", 0 -> "0s").
std::string FormatDuration(int64_t seconds);

}  // namespace yard::manifest
