#include "api/audit.h"

namespace yard::api {

void Audit(const Services& services, const RouteContext& context, events::Event event) {
  if (services.events == nullptr) return;
  if (context.principal != nullptr) {
    event.actor_id = context.principal->user.id;
    event.actor = context.principal->user.name;
  }
  services.events->Record(std::move(event));
}

}  // namespace yard::api
