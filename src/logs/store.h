#pragma once

// The log store: append-only segment files per deployment and service, rotated by size and
// pruned by total size and age (log_line.h StoreOptions).
//
// DATA_DIR/logs/<deployment id>/<service>/<first line's time ns, 20 digits>.log, one line per
// LogLine: `<time ns> <o|e> <container> <generation> <text>\n`. Files are only ever appended
// to, and a segment whose writer died mid-line has that last partial line ignored by readers
// (and cut off before the next append). Corrupt lines (a file edited by hand) are skipped.
//
// A service's lines are kept in the order appended, which is time order as long as its
// containers write one after the other; a new segment is started only by lines later than the
// newest segment's name, so names increase and readers find a time range by name. Reads merge
// services by time and return lines sorted by time.
//
// Thread-safe: the capture appends from many threads; readers read while it does, without
// locks. Use one Store per data directory: followers are woken by appends to the same object.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "logs/log_line.h"

namespace yard::logs {

struct StoredLine {
  std::string service;
  LogLine line;
};

/// Where a capture of one container resumes: its newest stored line's time, and how many of
/// its lines carry exactly that time (the engine's timestamps can repeat).
struct ResumePoint {
  int64_t time_ns = 0;
  int64_t lines_at_time = 0;
};

/// A reader's position for following: opaque to callers (the API hands it to clients). Only
/// URL-safe characters; "" is the start of every service's logs.
using Cursor = std::string;

struct ReadResult {
  std::vector<StoredLine> lines;  // oldest first, across services by time
  Cursor cursor;                  // after the last line returned (or where the logs end now)
};

class Store {
 public:
  /// The age limit is measured against `clock`; the first form uses the system clock.
  explicit Store(StoreOptions options);
  Store(StoreOptions options, const Clock& clock);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Appends lines (of one container, oldest first) to the service's newest segment in one
  /// write, rotating and pruning as needed. A text holding newlines or longer than
  /// kMaxLineBytes is stored as several lines. kInvalidArgument for a bad deployment id,
  /// service name (a manifest id) or line (line_format.h ValidateLine); kIo on disk errors.
  Status Append(int64_t deployment_id, const std::string& service, std::span<const LogLine> lines);

  /// The lines that match `query`, oldest first, at most `limit` (the newest `limit` when
  /// more match), and a cursor where the logs end now. Services are read from their newest
  /// lines back, so a tail costs what it returns whatever is stored.
  Result<ReadResult> Read(int64_t deployment_id, const Query& query, size_t limit = 100'000);

  /// The lines appended after `cursor` that match `query` (tail is ignored), waiting up to
  /// `wait` for the first one. An empty result when none came, with a cursor that may have
  /// moved past lines that did not match. A service the cursor does not name is read from its
  /// start (it had no logs when the cursor was made); one whose segment at the cursor was
  /// pruned goes on at its oldest remaining segment. kInvalidArgument for a malformed cursor.
  Result<ReadResult> ReadAfter(int64_t deployment_id, const Query& query, const Cursor& cursor,
                               std::chrono::milliseconds wait, size_t limit = 10'000);

  /// Where capturing `container` (12 hex) of `service` resumes; nullopt when none of its
  /// lines are stored. Reads from the newest segment back: a container not stored costs a
  /// scan of the whole service.
  Result<std::optional<ResumePoint>> ResumeOf(int64_t deployment_id, const std::string& service,
                                              const std::string& container);

  /// The services with logs, by name.
  Result<std::vector<std::string>> Services(int64_t deployment_id);

  /// Removes every log of the deployment (it was deleted for good).
  Status Remove(int64_t deployment_id);

  /// Applies the size and age limits to every service now (also done on each Append).
  Status Prune();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yard::logs
