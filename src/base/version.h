#pragma once

namespace yard {

/// The release this binary was built from; the API reports it at /api/v1/version.
inline constexpr const char* kVersion = "0.1.0";
/// The API generation served under /api/v1.
inline constexpr const char* kApiVersion = "v1";

}  // namespace yard
