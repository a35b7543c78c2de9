#include "logs/line_splitter.h"

#include <algorithm>
#include <cstring>

#include "logs/times.h"

namespace yard::logs {
namespace {

constexpr size_t kHeaderBytes = 8;
// An RFC 3339 time is 20 ("2026-11-27T14:59:11Z") to 35 bytes (nanoseconds and an offset).
constexpr size_t kMinTimeBytes = 20;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where to cut a text longer than kMaxLineBytes whose byte at `i` is `at(i)`: before the
// UTF-8 character that straddles the limit, or at the limit when the text is not UTF-8 there.
template <typename At>
size_t CutAt(At at) {
  size_t cut = kMaxLineBytes;
  for (int back = 0; back < 3 && IsContinuationByte(at(cut)); ++back) --cut;
  return IsContinuationByte(at(cut)) ? kMaxLineBytes : cut;
}

}  // namespace

LineSplitter::LineSplitter(LineFn on_line) : on_line_(std::move(on_line)) {}

void LineSplitter::Feed(std::string_view chunk) {
  while (!chunk.empty()) {
    if (mode_ == Mode::kRaw) {
      Payload(chunk);
      return;
    }
    if (payload_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(payload_left_, chunk.size()));
      Payload(chunk.substr(0, take));
      payload_left_ -= take;
      chunk.remove_prefix(take);
      if (payload_left_ == 0) EndRecord();
      continue;
    }
    size_t take = std::min(kHeaderBytes - header_size_, chunk.size());
    std::memcpy(header_ + header_size_, chunk.data(), take);
    header_size_ += take;
    chunk.remove_prefix(take);
    bool plausible = static_cast<unsigned char>(header_[0]) <= 2;
    for (size_t i = 1; i < std::min<size_t>(header_size_, 4); ++i) {
      plausible = plausible && header_[i] == 0;
    }
    if (!plausible) {
      // Not a frame: a TTY's stream, or a broken one. Everything from here is text.
      mode_ = Mode::kRaw;
      stream_ = 1;
      std::string header(header_, header_size_);
      header_size_ = 0;
      Payload(header);
      continue;
    }
    if (header_size_ < kHeaderBytes) return;
    mode_ = Mode::kFramed;
    stream_ = header_[0] == 2 ? 2 : 1;  // stdin (0), which Docker echoes, counts as stdout
    payload_left_ = 0;
    for (size_t i = 4; i < kHeaderBytes; ++i) {
      payload_left_ = (payload_left_ << 8) | static_cast<unsigned char>(header_[i]);
    }
    header_size_ = 0;
    if (payload_left_ == 0) EndRecord();
  }
}

void LineSplitter::Finish() {
  header_size_ = 0;  // a header cut short says nothing
  payload_left_ = 0;
  EndRecord();
  for (int i = 0; i < 2; ++i) {
    Stream& stream = streams_[i];
    if (stream.open && !stream.line.empty()) {
      EmitCut(i == 0 ? 'o' : 'e', stream.time_ns, stream.line);
    }
    stream.line.clear();
    stream.open = false;
  }
  mode_ = Mode::kUnknown;
  stream_ = 1;
}

void LineSplitter::Payload(std::string_view bytes) {
  while (!bytes.empty()) {
    if (record_ == Record::kTime) {
      bytes.remove_prefix(TakeTime(bytes));
      continue;
    }
    Stream& stream = current();
    const char* newline = static_cast<const char*>(std::memchr(bytes.data(), '\n', bytes.size()));
    if (newline == nullptr) {
      AppendText(stream, bytes);
      return;
    }
    size_t length = static_cast<size_t>(newline - bytes.data());
    if (!stream.open) {
      EmitWhole(bytes.substr(0, length));
    } else {
      AppendText(stream, bytes.substr(0, length));
      EmitWhole(stream.line);
      stream.line.clear();
      stream.open = false;
    }
    bytes.remove_prefix(length + 1);
    // In a frame a newline ends the record; in a TTY's stream the next line has its own time.
    record_ = Record::kTime;
  }
}

void LineSplitter::EndRecord() {
  if (record_ == Record::kTime && token_size_ > 0) {
    // The record ended inside what looked like a time: it was text.
    StartText(std::nullopt);
    std::string token(token_, token_size_);
    token_size_ = 0;
    AppendText(current(), token);
  }
  record_ = Record::kTime;
}

size_t LineSplitter::TakeTime(std::string_view bytes) {
  auto parse = [&](std::string_view text) -> std::optional<int64_t> {
    if (text.size() < kMinTimeBytes || text[4] != '-') return std::nullopt;
    if (text.size() == last_time_text_.size() &&
        std::memcmp(text.data(), last_time_text_.data(), text.size()) == 0) {
      return last_time_;
    }
    std::optional<int64_t> time = ParseRfc3339Nanos(text);
    if (time) {
      last_time_text_.assign(text);
      last_time_ = *time;
    }
    return time;
  };
  // Up to the space after the time; a newline or too many bytes first: no time.
  size_t room = sizeof(token_) - token_size_;
  size_t i = 0;
  size_t limit = std::min(bytes.size(), room);
  while (i < limit && bytes[i] != ' ' && bytes[i] != '\n') ++i;
  if (i == limit && i < room) {
    // The time may go on in the next piece.
    std::memcpy(token_ + token_size_, bytes.data(), i);
    token_size_ += i;
    return i;
  }
  std::optional<int64_t> time;
  if (i < limit && bytes[i] == ' ') {
    if (token_size_ == 0) {
      time = parse(bytes.substr(0, i));
    } else {
      std::memcpy(token_ + token_size_, bytes.data(), i);
      time = parse(std::string_view(token_, token_size_ + i));
    }
  }
  if (time) {
    token_size_ = 0;
    StartText(time);
    return i + 1;
  }
  // No time: what was taken for one is text, and so is the rest of the record.
  StartText(std::nullopt);
  if (token_size_ > 0) {
    std::string token(token_, token_size_);
    token_size_ = 0;
    AppendText(current(), token);
  }
  return 0;
}

void LineSplitter::StartText(std::optional<int64_t> time) {
  record_ = Record::kText;
  if (time) {
    record_time_ = *time;
  } else {
    ++untimed_;
    record_time_ = last_time_;
  }
}

void LineSplitter::AppendText(Stream& stream, std::string_view text) {
  stream.open = true;
  stream.time_ns = record_time_;
  // One byte more than a line may hold is kept: it may be the CR of a CRLF, which goes.
  while (true) {
    size_t room = kMaxLineBytes + 1 - stream.line.size();
    if (text.size() <= room) {
      stream.line.append(text);
      return;
    }
    // Longer than a line, whatever comes: its first part goes on as a line of its own.
    stream.line.append(text.substr(0, room));
    text.remove_prefix(room);
    size_t cut = CutAt([&](size_t i) { return stream.line[i]; });
    Emit(stream_ == 2 ? 'e' : 'o', record_time_, std::string_view(stream.line).substr(0, cut));
    stream.line.erase(0, cut);
  }
}

void LineSplitter::EmitWhole(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  EmitCut(stream_ == 2 ? 'e' : 'o', record_time_, text);
}

void LineSplitter::EmitCut(char stream, int64_t time, std::string_view text) {
  while (text.size() > kMaxLineBytes) {
    size_t cut = CutAt([&](size_t i) { return text[i]; });
    Emit(stream, time, text.substr(0, cut));
    text.remove_prefix(cut);
  }
  Emit(stream, time, text);
}

void LineSplitter::Emit(char stream, int64_t time, std::string_view text) {
  on_line_(SplitLine{.time_ns = time, .stream = stream, .text = text});
}

}  // namespace yard::logs
