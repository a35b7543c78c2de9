#include "events/json.h"

#include <fmt/core.h>

#include "base/clock.h"

namespace yard::events {
namespace {

nlohmann::json NameOrNull(bool present, const std::string& name) {
  return present ? nlohmann::json(name) : nlohmann::json(nullptr);
}

}  // namespace

std::string FormatTime(int64_t at_ms) {
  int64_t seconds = at_ms >= 0 ? at_ms / 1000 : (at_ms - 999) / 1000;
  std::string text = FormatTimestamp(seconds);  // ...T14:00:00Z
  text.insert(text.size() - 1, fmt::format(".{:03}", at_ms - seconds * 1000));
  return text;
}

nlohmann::json EventJson(const store::EventRecord& event) {
  return {{"id", event.id},
          {"at", FormatTime(event.at_ms)},
          {"project", NameOrNull(event.project_id.has_value(), event.project)},
          {"deployment", NameOrNull(event.deployment_id.has_value() || !event.deployment.empty(),
                                    event.deployment)},
          {"actor", NameOrNull(event.actor_id.has_value() || !event.actor.empty(), event.actor)},
          {"kind", event.kind},
          {"message", event.message},
          {"data", event.data}};
}

}  // namespace yard::events
