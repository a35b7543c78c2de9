#pragma once

// The event log: a Sink that appends to the events table (store/events.h), tells readers
// that follow it when something new is there, and forgets events after their retention.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "events/sink.h"
#include "store/events.h"

namespace yard::events {

struct RecorderOptions {
  /// Events older than this go at the next Prune.
  std::chrono::hours retention{24 * 90};
};

/// Thread-safe.
class Recorder final : public Sink {
 public:
  Recorder(store::Database& db, const Clock& clock, RecorderOptions options = {});

  /// Appends the event, stamped now. Never fails the caller: errors are logged.
  void Record(Event event) override;
  /// Record that says what went wrong, and returns the row.
  Result<store::EventRecord> Append(Event event);

  Result<std::vector<store::EventRecord>> List(const store::EventQuery& query);
  /// The newest id recorded; followers ask for more only when it passed their cursor.
  int64_t last_id();
  /// Waits until an event after `after_id` is recorded, or `timeout` has passed; true when
  /// there is one.
  bool WaitAfter(int64_t after_id, std::chrono::milliseconds timeout);

  /// Removes events older than the retention (for a PeriodicTask); logs how many went.
  Status Prune();

 private:
  /// REQUIRES: mutex_ held.
  int64_t LastIdLocked();

  store::EventStore store_;
  const Clock& clock_;
  const RecorderOptions options_;
  std::mutex mutex_;
  std::condition_variable recorded_;
  // Read from the store on first use (the table may not exist yet when this is made).
  std::optional<int64_t> last_id_;  // guarded by mutex_
};

}  // namespace yard::events
