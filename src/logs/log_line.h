#pragma once

// Logs that outlive containers (docs/logs.md): what is kept of every line a deployment's
// containers write, and how it is asked for. The capture (logs/capture.h) appends lines to the
// store (logs/store.h); the API and `yard logs` query it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace yard::logs {

/// Longer lines are kept as several.
inline constexpr size_t kMaxLineBytes = 16 * 1024;

struct LogLine {
  int64_t time_ns = 0;     // the engine's timestamp of the line (Unix nanoseconds)
  char stream = 'o';       // 'o' stdout, 'e' stderr
  std::string container;   // the engine's container id, its first 12 hex digits
  int64_t generation = 0;  // the service's restart generation when the container was made
  std::string text;        // without its newline; never contains one
};

/// Where and how much is kept. DATA_DIR/logs/<deployment id>/<service>/<segments>.
struct StoreOptions {
  std::string dir;                             // DATA_DIR/logs
  size_t segment_bytes = 8 << 20;              // a segment is closed once it is this big
  size_t service_bytes = 64 << 20;             // per service; the oldest segments go first
  int64_t retention_seconds = 14 * 24 * 3600;  // segments whose newest line is older go
};

/// What a reader asks for. Filters apply in this order: services, time, previous, grep, tail.
struct Query {
  std::vector<std::string> services;  // empty: every service of the deployment
  std::optional<int64_t> since_ns;    // inclusive
  std::optional<int64_t> until_ns;    // exclusive
  /// Only lines of the container each service ran before its newest one (`--previous`).
  bool previous = false;
  std::string grep;          // a substring the text must contain; empty: all
  std::optional<int> tail;   // the last N lines that pass the filters
};

}  // namespace yard::logs
