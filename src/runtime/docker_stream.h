#pragma once

// Decoders for the engine's streamed answers, fed in whatever pieces the socket delivers:
// the JSON-lines progress of build and pull, and the multiplexed output of logs and exec
// (merged, or kept apart by stream for an interactive exec).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace yard::runtime::docker {

// ---- Streams ------------------------------------------------------------------------------

/// Decodes the JSON-lines progress stream of POST /build and POST /images/create, fed in
/// arbitrary pieces: {"stream": text} (split here into lines), {"status": ..., "id": ...,
/// "progress": ...} (one line each), {"error": ...} and {"aux": {"ID": ...}}.
class ProgressDecoder {
 public:
  struct Event {
    enum class Kind { kLine, kError, kImageId };
    Kind kind = Kind::kLine;
    std::string text;  // the line (without newline), the error message or the image id
  };

  /// Decodes what `chunk` completes and appends the events to `events`.
  void Feed(std::string_view chunk, std::vector<Event>& events);
  /// At the end of the stream: flushes a last line that had no newline.
  void Finish(std::vector<Event>& events);

 private:
  void DecodeObject(std::string_view line, std::vector<Event>& events);
  void AddText(std::string_view text, std::vector<Event>& events);

  std::string pending_json_;  // an incomplete JSON line
  std::string pending_text_;  // stream text after the last newline
};

/// One piece of a multiplexed stream's payload and the stream it belongs to.
struct Frame {
  int stream = 1;  // 1 stdout, 2 stderr; 0 (stdin, which Docker writes back on stdout) as sent
  std::string data;
};

/// Splits the multiplexed output of a non-TTY exec stream into stdout and stderr as it arrives,
/// for passing on rather than collecting (Demuxer merges the two). Headers and payloads may be
/// split anywhere across reads: a payload is handed on in the pieces it arrives in, each with
/// its frame's stream, and only an incomplete 8-byte header is kept back. Input that does not
/// start like a frame is passed on as stdout from there on, as Demuxer does.
class FrameDecoder {
 public:
  /// Appends the payload pieces `chunk` completes (never empty ones) to `frames`.
  void Feed(std::string_view chunk, std::vector<Frame>& frames);
  /// True when the input so far ends inside a frame (a header or a payload is incomplete):
  /// at the end of the stream, output was cut short.
  bool mid_frame() const { return !header_.empty() || payload_left_ > 0; }
  /// True once the input was found not to be framed.
  bool raw() const { return raw_; }
  /// At the end of the stream: the bytes of a header cut short (to pass on as they are).
  std::string TakeIncompleteHeader();

 private:
  bool raw_ = false;
  std::string header_;         // bytes of a header not yet complete
  uint64_t payload_left_ = 0;  // of the current frame
  int stream_ = 1;             // of the current frame
};

/// Undoes the multiplexing of non-TTY log and exec streams: frames of an 8-byte header
/// (stream 0/1/2, three zero bytes, big-endian payload size) and the payload. Output is the
/// payloads in arrival order, stdout and stderr interleaved. Input that does not start like a
/// frame (a TTY stream) is passed through unchanged. Fed in arbitrary pieces.
class Demuxer {
 public:
  /// Keeps at most `max_bytes` of output; the rest is dropped and truncated() turns true.
  explicit Demuxer(size_t max_bytes = 64 * 1024 * 1024) : max_bytes_(max_bytes) {}

  void Feed(std::string_view chunk);
  /// At the end of the stream: a header cut short is passed on as raw bytes.
  void Finish();

  const std::string& output() const { return output_; }
  std::string TakeOutput() { return std::move(output_); }
  bool truncated() const { return truncated_; }
  /// True once the input was found not to be framed.
  bool raw() const { return frames_.raw(); }

 private:
  void Append(std::string_view bytes);

  size_t max_bytes_;
  FrameDecoder frames_;
  std::string output_;
  bool truncated_ = false;
};

}  // namespace yard::runtime::docker
