#pragma once

// What users do through the API goes to the event log with their name: routes call Audit
// after a change succeeded.

#include "api/api.h"
#include "api/router.h"
#include "events/kinds.h"

namespace yard::api {

/// Records `event` as done by the calling user; nothing when the server keeps no events.
void Audit(const Services& services, const RouteContext& context, events::Event event);

}  // namespace yard::api
