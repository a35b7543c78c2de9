#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

/// How long a delivery id is remembered: senders retry for hours at most (GitHub offers
/// redelivery of the last 3 days, GitLab retries within a day), so a month is plenty.
inline constexpr std::chrono::hours kWebhookDeliveryRetention{24 * 30};

/// A project's webhook secret (projects.webhook_secret) and the webhook_deliveries table.
/// Thread-safe.
class WebhookStore {
 public:
  WebhookStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// The project's secret; empty when its webhooks are off. kNotFound for no such project.
  Result<std::string> Secret(int64_t project_id);
  /// Sets the secret (non-empty), which turns webhooks on. kNotFound for no such project.
  Status SetSecret(int64_t project_id, const std::string& secret);
  /// Turns webhooks off. kNotFound for no such project.
  Status ClearSecret(int64_t project_id);

  /// Records that the delivery was acted on: true the first time, false when it was recorded
  /// before (a replay). Deliveries older than kWebhookDeliveryRetention are forgotten first.
  Result<bool> RecordDelivery(int64_t project_id, const std::string& delivery);

 private:
  Status WriteSecret(int64_t project_id, const std::string& secret);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
