#include "events/recorder.h"

#include <algorithm>

#include "base/log.h"

namespace yard::events {

Recorder::Recorder(store::Database& db, const Clock& clock, RecorderOptions options)
    : store_(db), clock_(clock), options_(options) {}

int64_t Recorder::LastIdLocked() {
  if (!last_id_) {
    auto last = store_.LastId();
    if (!last) {
      log::Warn("events: {}", last.error().message);
      return 0;
    }
    last_id_ = *last;
  }
  return *last_id_;
}

Result<store::EventRecord> Recorder::Append(Event event) {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       clock_.Now().time_since_epoch())
                       .count();
  store::EventRecord made = TRY(store_.Insert(store::EventRecord{
      .at_ms = now_ms,
      .project_id = event.project_id,
      .project = std::move(event.project),
      .deployment_id = event.deployment_id,
      .deployment = std::move(event.deployment),
      .actor_id = event.actor_id,
      .actor = std::move(event.actor),
      .kind = std::move(event.kind),
      .message = std::move(event.message),
      .data = std::move(event.data)}));
  {
    std::lock_guard lock(mutex_);
    // Ids only grow: the one just made is the newest (also when nothing was read yet).
    last_id_ = std::max(last_id_.value_or(0), made.id);
  }
  recorded_.notify_all();
  return made;
}

void Recorder::Record(Event event) {
  std::string kind = event.kind;
  if (auto made = Append(std::move(event)); !made) {
    log::Warn("event {} not recorded: {}", kind, made.error().message);
  }
}

Result<std::vector<store::EventRecord>> Recorder::List(const store::EventQuery& query) {
  return store_.List(query);
}

int64_t Recorder::last_id() {
  std::lock_guard lock(mutex_);
  return LastIdLocked();
}

bool Recorder::WaitAfter(int64_t after_id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return recorded_.wait_for(lock, timeout, [&] { return LastIdLocked() > after_id; });
}

Status Recorder::Prune() {
  int64_t cutoff_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (clock_.Now() - options_.retention).time_since_epoch())
                          .count();
  int removed = TRY(store_.DeleteBefore(cutoff_ms));
  if (removed > 0) log::Info("events: removed {} older than {} days", removed,
                             options_.retention.count() / 24);
  return Ok();
}

}  // namespace yard::events
