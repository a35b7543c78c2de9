#pragma once

// Turns a container's followed log stream (runtime::Runtime::FollowLogs) into lines, fed in
// whatever pieces the engine sends.
//
// The stream is records "<RFC 3339 time> <text>", each in a frame of its stream (8-byte
// header: stream 1 or 2, three zero bytes, big-endian payload size), or unframed for a
// container with a TTY. A record without a newline is a piece of a longer line that the next
// record of its stream continues (conmon cuts lines at 8 KiB, and wherever a read of the
// container's pipe ends), and its time prefix is dropped. A line's time is that of the record
// that completes it, so that a line's time never goes back within a stream, and a capture
// that resumes from a time in the middle of a long line sees its end as the line it stored.
//
// Hostile input is taken as it comes: bytes that are not frames make the rest of the stream
// unframed text (as docker::FrameDecoder does); a record that does not start with a time is
// text, timed like the record before it; lines longer than kMaxLineBytes are cut (at a UTF-8
// character boundary where there is one near); a CR before the newline (a terminal's CRLF) is
// dropped; other bytes (NUL, CR, escapes, invalid UTF-8) are kept as they are. A TTY stream
// has no record boundaries, so there a line written in several pieces keeps the time prefixes
// of the later pieces in its text.
//
// Fast: a line that arrives whole is handed on as a view of the input; only lines spread over
// records or pieces are copied, into a buffer per stream that is reused.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "logs/log_line.h"

namespace yard::logs {

/// A line found in the stream. `text` (never with a newline, at most kMaxLineBytes) is valid
/// only during the callback.
struct SplitLine {
  int64_t time_ns = 0;
  char stream = 'o';  // 'o' stdout, 'e' stderr
  std::string_view text;
};

class LineSplitter {
 public:
  using LineFn = std::function<void(const SplitLine& line)>;

  /// `on_line` is called for each line, in stream order, from Feed and Finish.
  explicit LineSplitter(LineFn on_line);

  /// Takes the next piece of the stream.
  void Feed(std::string_view chunk);
  /// At the end of the stream: hands on the lines still open (their last piece had no
  /// newline). The splitter may then be fed a new stream.
  void Finish();

  /// Lines that did not start with a time (given the time of the record before them).
  int64_t untimed() const { return untimed_; }
  /// True once the stream was found not to be framed.
  bool raw() const { return mode_ == Mode::kRaw; }

 private:
  enum class Mode { kUnknown, kFramed, kRaw };
  enum class Record { kTime, kText };
  struct Stream {
    std::string line;   // the open line's text so far
    bool open = false;  // a record without a newline left a line open
    int64_t time_ns = 0;
  };

  // Consumes record bytes of the current frame (or of the raw stream).
  void Payload(std::string_view bytes);
  // At a frame's end: a time prefix left without its space is text.
  void EndRecord();
  // Returns how much of `bytes` the time prefix took; sets record_ once it is complete.
  size_t TakeTime(std::string_view bytes);
  void StartText(std::optional<int64_t> time);
  void AppendText(Stream& stream, std::string_view text);
  // A line of the current stream that ended with its newline.
  void EmitWhole(std::string_view text);
  // Hands `text` on as lines of at most kMaxLineBytes.
  void EmitCut(char stream, int64_t time, std::string_view text);
  void Emit(char stream, int64_t time, std::string_view text);
  Stream& current() { return streams_[stream_ == 2 ? 1 : 0]; }

  LineFn on_line_;
  Mode mode_ = Mode::kUnknown;
  // Framing.
  char header_[8] = {};
  size_t header_size_ = 0;
  uint64_t payload_left_ = 0;
  int stream_ = 1;
  // The record being read.
  Record record_ = Record::kTime;
  char token_[48] = {};  // a time prefix split across pieces
  size_t token_size_ = 0;
  int64_t record_time_ = 0;
  // The last time parsed, for repeats (Podman's API gives whole seconds).
  std::string last_time_text_;
  int64_t last_time_ = 0;
  Stream streams_[2];
  int64_t untimed_ = 0;
};

}  // namespace yard::logs
