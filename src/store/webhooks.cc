#include "store/webhooks.h"

#include <fmt/core.h>

namespace yard::store {

Result<std::string> WebhookStore::Secret(int64_t project_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT webhook_secret FROM projects WHERE id = ?"));
  query.BindAll(project_id);
  if (!TRY(query.Step())) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("project {} not found", project_id));
  }
  return query.ColumnText(0);
}

Status WebhookStore::SetSecret(int64_t project_id, const std::string& secret) {
  if (secret.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument, "a webhook secret may not be empty");
  }
  return WriteSecret(project_id, secret);
}

Status WebhookStore::ClearSecret(int64_t project_id) { return WriteSecret(project_id, ""); }

Status WebhookStore::WriteSecret(int64_t project_id, const std::string& secret) {
  auto lock = db_.Lock();
  auto update = TRY(db_.Prepare("UPDATE projects SET webhook_secret = ? WHERE id = ?"));
  TRY(update.BindAll(secret, project_id).Run());
  if (db_.Changes() == 0) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("project {} not found", project_id));
  }
  return Ok();
}

Result<bool> WebhookStore::RecordDelivery(int64_t project_id, const std::string& delivery) {
  auto transaction = TRY(db_.Begin());
  int64_t now = clock_.NowUnix();
  int64_t cutoff =
      now - std::chrono::duration_cast<std::chrono::seconds>(kWebhookDeliveryRetention).count();
  auto prune = TRY(db_.Prepare("DELETE FROM webhook_deliveries WHERE received_at < ?"));
  TRY(prune.BindAll(cutoff).Run());
  auto insert = TRY(db_.Prepare(
      "INSERT OR IGNORE INTO webhook_deliveries (project_id, delivery, received_at) "
      "VALUES (?, ?, ?)"));
  TRY(insert.BindAll(project_id, delivery, now).Run());
  bool first = db_.Changes() > 0;
  TRY(transaction.Commit());
  return first;
}

}  // namespace yard::store
