#include "api/size_request.h"

namespace yard::api {

Result<deployments::SizeChange> SizeChangeOf(const Json& size) {
  if (!size.is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "'size' must be an object: {\"name\": \"medium\"} or {\"cpus\": \"0.5\", "
                      "\"memory\": \"512m\"}");
  }
  TRY(RejectUnknownFields(size, {"name", "cpus", "memory"}));
  deployments::SizeChange change;
  change.name = TRY(OptionalString(size, "name"));
  change.cpus = TRY(OptionalString(size, "cpus"));
  change.memory = TRY(OptionalString(size, "memory"));
  return change;
}

Json SizeView(const deployments::Limits& limits) {
  return Json{{"name", deployments::SizeName(limits)},
              {"cpus", limits.cpu_millis ? Json(static_cast<double>(limits.cpu_millis) / 1000.0)
                                         : Json(nullptr)},
              {"memory_bytes", limits.memory_bytes ? Json(limits.memory_bytes) : Json(nullptr)},
              {"description", deployments::DescribeLimits(limits)}};
}

}  // namespace yard::api
