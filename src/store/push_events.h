#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

/// One ref a push changed (a push of several branches is several events).
struct PushEvent {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t user_id = 0;
  std::string user_name;   // read from users; ignored by Record
  std::string ref;         // refs/heads/main
  std::string old_commit;  // empty when the push created the ref
  std::string new_commit;  // empty when the push deleted it
  bool forced = false;     // the old commit is not an ancestor of the new one
  int64_t pushed_at = 0;
};

/// The push_events table. Thread-safe.
class PushEventStore {
 public:
  PushEventStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Inserts the events of one push in one transaction, all with the same `pushed_at` (now);
  /// returns them with ids and time assigned.
  Result<std::vector<PushEvent>> Record(std::vector<PushEvent> events);
  /// The project's events, newest first, at most `limit` of them.
  Result<std::vector<PushEvent>> List(int64_t project_id, int limit);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
