#include "base/rfc3339.h"

#include <fmt/core.h>

#include <chrono>

namespace yard {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Reads exactly `digits` decimal digits at `at`.
std::optional<int> Digits(std::string_view text, size_t at, size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = at; i < at + digits; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

int64_t DaysFromCivil(int year, int month, int day) {
  using namespace std::chrono;
  return sys_days(std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
                  std::chrono::day(static_cast<unsigned>(day)))
      .time_since_epoch()
      .count();
}

}  // namespace

std::optional<int64_t> ParseRfc3339Nanos(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  auto hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    size_t start = at;
    int64_t scale = kNanosPerSecond;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (scale > 1) {
        scale /= 10;
        fraction += (text[at] - '0') * scale;
      }
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  int64_t offset_seconds = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    auto offset_hours = Digits(text, at + 1, 2), offset_minutes = Digits(text, at + 4, 2);
    if (!offset_hours || !offset_minutes || text[at + 3] != ':') return std::nullopt;
    offset_seconds = (*offset_hours * 3600 + *offset_minutes * 60) * (text[at] == '+' ? 1 : -1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  int64_t days = DaysFromCivil(*year, *month, *day);
  int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_seconds;
  return seconds * kNanosPerSecond + fraction;
}

std::string FormatRfc3339Nanos(int64_t time_ns) {
  int64_t seconds = time_ns / kNanosPerSecond;
  int64_t nanos = time_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  using namespace std::chrono;
  sys_seconds point{std::chrono::seconds(seconds)};
  sys_days day = floor<days>(point);
  year_month_day date{day};
  hh_mm_ss<std::chrono::seconds> time{point - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(), nanos);
}

}  // namespace yard
