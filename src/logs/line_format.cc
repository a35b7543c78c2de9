#include "logs/line_format.h"

#include <charconv>

#include <fmt/core.h>

namespace yard::logs {
namespace {

constexpr size_t kMaxContainerLength = 64;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsContainerId(std::string_view id) {
  if (id.empty() || id.size() > kMaxContainerLength) return false;
  for (char c : id) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

void AppendNumber(int64_t value, std::string& out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, end);
}

// Parses the decimal digits at the start of `text` up to a space or the end; advances past
// them. Only digits: stored numbers are never negative.
std::optional<int64_t> TakeNumber(std::string_view& text) {
  size_t length = 0;
  while (length < text.size() && text[length] >= '0' && text[length] <= '9') ++length;
  if (length == 0 || length > 19) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + length, value);
  if (ec != std::errc()) return std::nullopt;  // beyond int64
  text.remove_prefix(length);
  return value;
}

bool TakeSpace(std::string_view& text) {
  if (text.empty() || text.front() != ' ') return false;
  text.remove_prefix(1);
  return true;
}

// Where to cut `text` so that the first piece holds at most kMaxLineBytes: before a UTF-8
// continuation byte rather than inside a character, unless the bytes are not UTF-8.
size_t CutPoint(std::string_view text) {
  size_t cut = kMaxLineBytes;
  for (size_t back = 0; back <= 3; ++back) {
    unsigned char c = static_cast<unsigned char>(text[cut - back]);
    if ((c & 0xC0) != 0x80) return cut - back;
  }
  return cut;
}

}  // namespace

LogLine LineView::ToLogLine() const {
  return LogLine{.time_ns = time_ns,
                 .stream = stream,
                 .container = std::string(container),
                 .generation = generation,
                 .text = std::string(text)};
}

Status ValidateLine(const LogLine& line) {
  if (line.time_ns < 0) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("negative log time {}", line.time_ns));
  }
  if (line.stream != 'o' && line.stream != 'e') {
    return Unexpected(ErrorCode::kInvalidArgument, "log stream must be 'o' or 'e'");
  }
  if (!IsContainerId(line.container)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "log container must be 1 to 64 lowercase hex digits");
  }
  if (line.generation < 0) {
    return Unexpected(ErrorCode::kInvalidArgument, "negative log generation");
  }
  return Ok();
}

int FormatLine(const LogLine& line, std::string& out) {
  auto append_one = [&](std::string_view text) {
    AppendNumber(line.time_ns, out);
    out += ' ';
    out += line.stream;
    out += ' ';
    out += line.container;
    out += ' ';
    AppendNumber(line.generation, out);
    out += ' ';
    out += text;
    out += '\n';
  };
  int count = 0;
  std::string_view rest = line.text;
  while (true) {
    size_t newline = rest.find('\n');
    std::string_view piece = rest.substr(0, newline);
    while (piece.size() > kMaxLineBytes) {
      size_t cut = CutPoint(piece);
      append_one(piece.substr(0, cut));
      ++count;
      piece.remove_prefix(cut);
    }
    append_one(piece);
    ++count;
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
    if (rest.empty()) break;  // a trailing newline ends the text; it starts no empty line
  }
  return count;
}

std::optional<int64_t> ParseLineTime(std::string_view stored) {
  auto time = TakeNumber(stored);
  if (!time || stored.empty() || stored.front() != ' ') return std::nullopt;
  return time;
}

std::optional<LineView> ParseLine(std::string_view stored) {
  LineView view;
  auto time = TakeNumber(stored);
  if (!time || !TakeSpace(stored)) return std::nullopt;
  view.time_ns = *time;
  if (stored.size() < 2 || (stored[0] != 'o' && stored[0] != 'e')) return std::nullopt;
  view.stream = stored[0];
  stored.remove_prefix(1);
  if (!TakeSpace(stored)) return std::nullopt;
  size_t space = stored.find(' ');
  view.container = stored.substr(0, space);
  if (!IsContainerId(view.container) || space == std::string_view::npos) return std::nullopt;
  stored.remove_prefix(space + 1);
  auto generation = TakeNumber(stored);
  if (!generation) return std::nullopt;
  view.generation = *generation;
  // An empty text leaves a trailing space; accept its absence too (an editor may strip it).
  if (!stored.empty() && !TakeSpace(stored)) return std::nullopt;
  view.text = stored;
  return view;
}

}  // namespace yard::logs
