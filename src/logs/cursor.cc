#include "logs/cursor.h"

#include <charconv>

#include <fmt/core.h>

#include "base/names.h"

namespace yard::logs {
namespace {

// A cursor names each service once; more than this many is not one a store made.
constexpr size_t kMaxCursorServices = 1000;

template <typename T>
bool ParseNumber(std::string_view text, T& value) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string EncodeCursor(const CursorPositions& positions) {
  std::string cursor;
  for (const auto& [service, position] : positions) {
    if (!cursor.empty()) cursor += '_';
    cursor += fmt::format("{}.{}.{}", service, position.segment, position.offset);
  }
  return cursor;
}

Result<CursorPositions> DecodeCursor(std::string_view cursor) {
  CursorPositions positions;
  auto invalid = [] { return Unexpected(ErrorCode::kInvalidArgument, "invalid log cursor"); };
  while (!cursor.empty()) {
    size_t separator = cursor.find('_');
    std::string_view entry = cursor.substr(0, separator);
    cursor.remove_prefix(separator == std::string_view::npos ? cursor.size() : separator + 1);
    if (separator != std::string_view::npos && cursor.empty()) return invalid();

    size_t first_dot = entry.find('.');
    size_t second_dot =
        first_dot == std::string_view::npos ? first_dot : entry.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos) return invalid();
    std::string service(entry.substr(0, first_dot));
    SegmentPosition position;
    if (!ValidateName(service, "service") ||
        !ParseNumber(entry.substr(first_dot + 1, second_dot - first_dot - 1), position.segment) ||
        !ParseNumber(entry.substr(second_dot + 1), position.offset) ||
        positions.size() >= kMaxCursorServices || positions.contains(service)) {
      return invalid();
    }
    positions.emplace(std::move(service), position);
  }
  return positions;
}

}  // namespace yard::logs
