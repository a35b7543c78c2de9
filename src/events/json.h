#pragma once

// An event as the API and `yard events --json` show it.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "store/events.h"

namespace yard::events {

/// "2026-11-27T14:00:00.123Z": RFC 3339, UTC, milliseconds.
std::string FormatTime(int64_t at_ms);

/// {"id", "at", "project", "deployment", "actor", "kind", "message", "data"}; project,
/// deployment and actor are null when the event is about the installation, about a whole
/// project, or by the platform.
nlohmann::json EventJson(const store::EventRecord& event);

}  // namespace yard::events
