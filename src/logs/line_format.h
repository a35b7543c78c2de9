#pragma once

// The stored form of a log line (store.h): `<time ns> <o|e> <container> <generation> <text>\n`.
// Readers parse the time first and the rest only of lines they keep, so that a query over a
// time range does not pay for the text it skips.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "logs/log_line.h"

namespace yard::logs {

/// The longest stored line, newline excluded: the text limit and the longest prefix. Anything
/// longer in a file is corrupt.
inline constexpr size_t kMaxStoredLineBytes = kMaxLineBytes + 128;

/// A stored line's fields, viewing the text it was parsed from.
struct LineView {
  int64_t time_ns = 0;
  char stream = 'o';
  std::string_view container;
  int64_t generation = 0;
  std::string_view text;

  LogLine ToLogLine() const;
};

/// Checks what Append is given: a time and generation not negative, a stream of 'o' or 'e',
/// a container id of 1 to 64 lowercase hex digits. The text may be anything (FormatLine splits
/// it).
Status ValidateLine(const LogLine& line);

/// Appends `line` in its stored form, newline included. A text holding newlines or longer
/// than kMaxLineBytes becomes several stored lines with the same fields (split at a UTF-8
/// character boundary where there is one). Returns how many. REQUIRES: ValidateLine(line).
int FormatLine(const LogLine& line, std::string& out);

/// The time of a stored line (without its newline); nullopt when it does not start with one.
std::optional<int64_t> ParseLineTime(std::string_view stored);

/// Every field of a stored line (without its newline); nullopt when it is corrupt.
std::optional<LineView> ParseLine(std::string_view stored);

}  // namespace yard::logs
