#include "base/error.h"

#include <array>

namespace yard {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int http_status;
};

// The one table that ties an error code to its wire name and HTTP status.
constexpr std::array kCodes = {
    CodeInfo{ErrorCode::kInvalidArgument, "invalid_argument", 400},
    CodeInfo{ErrorCode::kNotFound, "not_found", 404},
    CodeInfo{ErrorCode::kAlreadyExists, "already_exists", 409},
    CodeInfo{ErrorCode::kUnauthenticated, "unauthenticated", 401},
    CodeInfo{ErrorCode::kPermissionDenied, "permission_denied", 403},
    CodeInfo{ErrorCode::kFailedPrecondition, "failed_precondition", 409},
    CodeInfo{ErrorCode::kTooLarge, "too_large", 413},
    CodeInfo{ErrorCode::kMethodNotAllowed, "method_not_allowed", 405},
    CodeInfo{ErrorCode::kTimeout, "timeout", 504},
    CodeInfo{ErrorCode::kCancelled, "cancelled", 409},
    CodeInfo{ErrorCode::kUnavailable, "unavailable", 503},
    CodeInfo{ErrorCode::kIo, "io_error", 500},
    CodeInfo{ErrorCode::kUsage, "usage", 400},
    CodeInfo{ErrorCode::kInternal, "internal", 500},
};

const CodeInfo& Info(ErrorCode code) {
  for (const auto& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes.back();
}

}  // namespace

Error Error::WithContext(std::string_view context) const {
  return Error{code, std::string(context) + ": " + message};
}

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }

ErrorCode ErrorCodeFromName(std::string_view name) {
  for (const auto& info : kCodes) {
    if (info.name == name) return info.code;
  }
  return ErrorCode::kInternal;
}

int HttpStatusFor(ErrorCode code) { return Info(code).http_status; }

ErrorCode ErrorCodeForHttpStatus(int status) {
  switch (status) {
    case 400: return ErrorCode::kInvalidArgument;
    case 401: return ErrorCode::kUnauthenticated;
    case 403: return ErrorCode::kPermissionDenied;
    case 404: return ErrorCode::kNotFound;
    case 405: return ErrorCode::kMethodNotAllowed;
    case 409: return ErrorCode::kAlreadyExists;
    case 413: return ErrorCode::kTooLarge;
    case 503: return ErrorCode::kUnavailable;
    case 504: return ErrorCode::kTimeout;
    default: return ErrorCode::kInternal;
  }
}

int ExitCodeFor(ErrorCode code) { return code == ErrorCode::kUsage ? 2 : 1; }

}  // namespace yard
