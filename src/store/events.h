#pragma once

// The events table (migration 8): what happened, who did it and when. Rows are appended by the
// event log (events/recorder.h) and read by `yard events` and the API; they outlive the
// deployments and projects they are about, so names are copied into them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "store/database.h"

namespace yard::store {

struct EventRecord {
  int64_t id = 0;
  int64_t at_ms = 0;  // Unix milliseconds
  std::optional<int64_t> project_id;
  std::string project;
  std::optional<int64_t> deployment_id;
  std::string deployment;
  std::optional<int64_t> actor_id;  // nullopt: the platform
  std::string actor;
  std::string kind;
  std::string message;
  nlohmann::json data = nlohmann::json::object();
};

/// Which events to read. Every field narrows; the result is always oldest first.
struct EventQuery {
  std::optional<int64_t> project_id;
  /// By name (within project_id when set): the history of a name, including deployments of
  /// that name that were deleted.
  std::string deployment;
  /// Kinds starting with this text: "build" matches build.queued and build.failed.
  std::string kind_prefix;
  /// Only events after this id, and then the oldest `limit` of them (paging forward, following).
  /// Without it, the newest `limit`.
  std::optional<int64_t> after_id;
  /// Only events at or after this time (Unix milliseconds).
  std::optional<int64_t> since_ms;
  /// A user who is not an admin: only events of projects they are a member of, and the
  /// installation's events they caused themselves.
  std::optional<int64_t> visible_to;
  int limit = 100;
};

/// Thread-safe (the Database serialises).
class EventStore {
 public:
  explicit EventStore(Database& db) : db_(db) {}

  /// Appends `event` (its id is ignored) and returns it with its id. Names left empty are
  /// filled in from the ids: the project and deployment names from deployment_id or
  /// project_id, the actor's from actor_id, so that callers that only know ids can report.
  Result<EventRecord> Insert(EventRecord event);
  Result<std::vector<EventRecord>> List(const EventQuery& query);
  /// The newest event's id; 0 when there are none.
  Result<int64_t> LastId();
  /// Removes events older than `before_ms`; returns how many.
  Result<int> DeleteBefore(int64_t before_ms);

 private:
  Status FillNames(EventRecord& event);

  Database& db_;
};

}  // namespace yard::store
