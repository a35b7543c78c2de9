#include "runtime/docker_stream.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace yard::runtime::docker {
namespace {

using Json = nlohmann::json;

std::string_view Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string String(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& Field(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace

// ---- Streams ------------------------------------------------------------------------------

void ProgressDecoder::Feed(std::string_view chunk, std::vector<Event>& events) {
  pending_json_.append(chunk);
  size_t start = 0;
  while (true) {
    size_t newline = pending_json_.find('\n', start);
    if (newline == std::string::npos) break;
    std::string_view line = Trim(std::string_view(pending_json_).substr(start, newline - start));
    if (!line.empty()) DecodeObject(line, events);
    start = newline + 1;
  }
  pending_json_.erase(0, start);
}

void ProgressDecoder::Finish(std::vector<Event>& events) {
  std::string rest = std::move(pending_json_);
  pending_json_.clear();
  if (!Trim(rest).empty()) DecodeObject(Trim(rest), events);
  if (!pending_text_.empty()) {
    std::string line = std::move(pending_text_);
    pending_text_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    events.push_back({Event::Kind::kLine, std::move(line)});
  }
}

void ProgressDecoder::DecodeObject(std::string_view line, std::vector<Event>& events) {
  Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    AddText(std::string(line) + "\n", events);
    return;
  }
  const Json& error = Field(json, "error");
  const Json& detail = Field(json, "errorDetail");
  if (!error.is_null() || !detail.is_null()) {
    std::string message = error.is_string() ? error.get<std::string>() : String(detail, "message");
    events.push_back({Event::Kind::kError, std::string(Trim(message))});
    return;
  }
  if (const Json& stream = Field(json, "stream"); stream.is_string()) {
    AddText(stream.get<std::string>(), events);
  }
  if (const Json& status = Field(json, "status"); status.is_string()) {
    std::string text;
    if (std::string id = String(json, "id"); !id.empty()) text = id + ": ";
    text += status.get<std::string>();
    if (std::string progress = String(json, "progress"); !progress.empty()) {
      text += " " + progress;
    }
    AddText(text + "\n", events);
  }
  if (std::string id = String(Field(json, "aux"), "ID"); !id.empty()) {
    events.push_back({Event::Kind::kImageId, std::move(id)});
  }
}

void ProgressDecoder::AddText(std::string_view text, std::vector<Event>& events) {
  pending_text_.append(text);
  size_t start = 0;
  while (true) {
    size_t newline = pending_text_.find('\n', start);
    if (newline == std::string::npos) break;
    std::string line = pending_text_.substr(start, newline - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    events.push_back({Event::Kind::kLine, std::move(line)});
    start = newline + 1;
  }
  pending_text_.erase(0, start);
}

void Demuxer::Feed(std::string_view chunk) {
  std::vector<Frame> frames;
  frames_.Feed(chunk, frames);
  for (const Frame& frame : frames) Append(frame.data);
}

void Demuxer::Finish() { Append(frames_.TakeIncompleteHeader()); }

void Demuxer::Append(std::string_view bytes) {
  size_t room = output_.size() < max_bytes_ ? max_bytes_ - output_.size() : 0;
  if (bytes.size() > room) truncated_ = true;
  output_.append(bytes.substr(0, std::min(room, bytes.size())));
}

void FrameDecoder::Feed(std::string_view chunk, std::vector<Frame>& frames) {
  constexpr size_t kHeaderBytes = 8;
  // Pieces of one stream in a row become one: a read holding many small frames of stdout
  // gives one piece.
  auto emit = [&](int stream, std::string_view bytes) {
    if (bytes.empty()) return;
    if (!frames.empty() && frames.back().stream == stream) {
      frames.back().data.append(bytes);
    } else {
      frames.push_back({stream, std::string(bytes)});
    }
  };
  while (!chunk.empty()) {
    if (raw_) {
      emit(1, chunk);
      return;
    }
    if (payload_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(payload_left_, chunk.size()));
      emit(stream_, chunk.substr(0, take));
      payload_left_ -= take;
      chunk.remove_prefix(take);
      continue;
    }
    size_t take = std::min(kHeaderBytes - header_.size(), chunk.size());
    header_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    bool plausible = static_cast<unsigned char>(header_[0]) <= 2;
    for (size_t i = 1; i < std::min<size_t>(header_.size(), 4); ++i) {
      plausible = plausible && header_[i] == 0;
    }
    if (!plausible) {
      // Not a frame: a TTY stream, or a broken one. Pass everything on as it is.
      raw_ = true;
      std::string bytes = std::move(header_);
      header_.clear();
      emit(1, bytes);
      continue;
    }
    if (header_.size() < kHeaderBytes) return;
    stream_ = static_cast<unsigned char>(header_[0]);
    payload_left_ = 0;
    for (size_t i = 4; i < kHeaderBytes; ++i) {
      payload_left_ = (payload_left_ << 8) | static_cast<unsigned char>(header_[i]);
    }
    header_.clear();
  }
}

std::string FrameDecoder::TakeIncompleteHeader() {
  std::string bytes = std::move(header_);
  header_.clear();
  return bytes;
}

}  // namespace yard::runtime::docker
