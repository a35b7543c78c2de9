#pragma once

// The "size" member of a deployment's create and change requests:
// {"name": "medium"} or {"cpus": "1.5", "memory": "2g"}, or both (a limit given wins).

#include "api/json.h"
#include "deployments/sizes.h"

namespace yard::api {

/// Reads `size`; kInvalidArgument for a value that is not such an object, an unknown field
/// or a field that is not a string. The limits themselves are checked by ApplySizeChange.
Result<deployments::SizeChange> SizeChangeOf(const Json& size);

/// The "size" member of a deployment's view: the limits and the size's name.
Json SizeView(const deployments::Limits& limits);

}  // namespace yard::api
