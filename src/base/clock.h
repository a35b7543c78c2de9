#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace yard {

/// Wall-clock time, injected so that logic depending on time is tested with a fake.
/// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;

  /// Seconds since the Unix epoch: the unit timestamps are stored in.
  int64_t NowUnix() const;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override;
};

/// "2026-11-26T23:30:57Z" for a Unix timestamp (UTC, second precision).
std::string FormatTimestamp(int64_t unix_seconds);

}  // namespace yard
