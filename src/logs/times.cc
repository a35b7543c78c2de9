#include "logs/times.h"

#include <charconv>

#include "manifest/durations.h"

namespace yard::logs {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

std::optional<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ns) {
  if (text.empty()) return std::nullopt;
  if (auto ago = manifest::ParseDuration(text)) return now_ns - *ago * kNanosPerSecond;
  if (auto time = ParseRfc3339Nanos(text)) return time;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    return ParseRfc3339Nanos(std::string(text) + "T00:00:00Z");
  }
  int64_t seconds = 0;
  auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error == std::errc() && ptr == text.data() + text.size() && seconds >= 0 &&
      seconds < INT64_MAX / kNanosPerSecond) {
    return seconds * kNanosPerSecond;
  }
  return std::nullopt;
}

}  // namespace yard::logs
