#include "store/push_events.h"

namespace yard::store {

Result<std::vector<PushEvent>> PushEventStore::Record(std::vector<PushEvent> events) {
  auto transaction = TRY(db_.Begin());
  int64_t now = clock_.NowUnix();
  for (PushEvent& event : events) {
    auto insert = TRY(db_.Prepare(
        "INSERT INTO push_events (project_id, user_id, ref, old_commit, new_commit, forced, "
        "pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    TRY(insert
            .BindAll(event.project_id, event.user_id, event.ref, event.old_commit, event.new_commit,
                     event.forced ? 1 : 0, now)
            .Run());
    event.id = db_.LastInsertRowId();
    event.pushed_at = now;
  }
  TRY(transaction.Commit());
  return events;
}

Result<std::vector<PushEvent>> PushEventStore::List(int64_t project_id, int limit) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare(
      "SELECT e.id, e.project_id, e.user_id, u.name, e.ref, e.old_commit, e.new_commit, "
      "e.forced, e.pushed_at FROM push_events e JOIN users u ON u.id = e.user_id "
      "WHERE e.project_id = ? ORDER BY e.id DESC LIMIT ?"));
  query.BindAll(project_id, limit);
  std::vector<PushEvent> events;
  while (TRY(query.Step())) {
    events.push_back(PushEvent{.id = query.ColumnInt(0),
                               .project_id = query.ColumnInt(1),
                               .user_id = query.ColumnInt(2),
                               .user_name = query.ColumnText(3),
                               .ref = query.ColumnText(4),
                               .old_commit = query.ColumnText(5),
                               .new_commit = query.ColumnText(6),
                               .forced = query.ColumnInt(7) != 0,
                               .pushed_at = query.ColumnInt(8)});
  }
  return events;
}

}  // namespace yard::store
