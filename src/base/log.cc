#include "base/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>

namespace yard::log {
namespace {

spdlog::logger& Logger() {
  // stderr, unbuffered (stdout_sinks flush per line): a server's log must survive a crash.
  static auto logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto result = std::make_shared<spdlog::logger>("yard", sink);
    result->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %v");
    result->set_level(spdlog::level::info);
    return result;
  }();
  return *logger;
}

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

Result<Level> ParseLevel(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, Level>, 7> kNames = {{
      {"trace", Level::kTrace},
      {"debug", Level::kDebug},
      {"info", Level::kInfo},
      {"warn", Level::kWarn},
      {"warning", Level::kWarn},
      {"error", Level::kError},
      {"off", Level::kOff},
  }};
  for (const auto& [text, level] : kNames) {
    if (text == name) return level;
  }
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("unknown log level '{}' (use trace, debug, info, warn, error "
                                "or off)", name));
}

void SetLevel(Level level) { Logger().set_level(ToSpd(level)); }

bool Enabled(Level level) { return Logger().should_log(ToSpd(level)); }

void Write(Level level, std::string_view message) { Logger().log(ToSpd(level), message); }

void Flush() { Logger().flush(); }

}  // namespace yard::log
