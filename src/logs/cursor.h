#pragma once

// The encoding of a log store cursor (store.h Cursor): per service, the segment and the byte
// offset where reading goes on. `<service>.<segment>.<offset>` joined by '_': only characters
// that need no escaping in a URL or an SSE id.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::logs {

struct SegmentPosition {
  int64_t segment = 0;  // the segment's name
  uint64_t offset = 0;  // a byte offset in it, at the start of a line

  bool operator==(const SegmentPosition&) const = default;
};

/// By service name.
using CursorPositions = std::map<std::string, SegmentPosition>;

std::string EncodeCursor(const CursorPositions& positions);

/// kInvalidArgument for anything EncodeCursor does not produce. An empty cursor has no
/// positions: every service is read from its start.
Result<CursorPositions> DecodeCursor(std::string_view cursor);

}  // namespace yard::logs
