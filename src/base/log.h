#pragma once

// Logging facade. Callers format with fmt; the sink (spdlog, to stderr) stays behind log.cc so
// that no module depends on the logging library's headers.

#include <fmt/core.h>

#include <string_view>

#include "base/result.h"

namespace yard::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

/// Parses "trace", "debug", "info", "warn", "error" or "off".
Result<Level> ParseLevel(std::string_view name);
void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, std::string_view message);
/// Writes out what is buffered (before the process ends without unwinding).
void Flush();

template <typename... Args>
void Log(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(level)) Write(level, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Debug(fmt::format_string<Args...> format, Args&&... args) {
  Log(Level::kDebug, format, std::forward<Args>(args)...);
}
template <typename... Args>
void Info(fmt::format_string<Args...> format, Args&&... args) {
  Log(Level::kInfo, format, std::forward<Args>(args)...);
}
template <typename... Args>
void Warn(fmt::format_string<Args...> format, Args&&... args) {
  Log(Level::kWarn, format, std::forward<Args>(args)...);
}
template <typename... Args>
void Error(fmt::format_string<Args...> format, Args&&... args) {
  Log(Level::kError, format, std::forward<Args>(args)...);
}

}  // namespace yard::log
