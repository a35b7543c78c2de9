#pragma once

#include <string>
#include <string_view>

namespace yard {

/// The closed set of failure kinds. Each maps to one HTTP status, one CLI exit code and one
/// stable wire name (see error.cc); add a code only when callers must tell it apart.
enum class ErrorCode {
  kInvalidArgument,     // the caller sent something malformed or out of range
  kNotFound,            // the named thing does not exist (or is not visible to the caller)
  kAlreadyExists,       // creating something whose identity is taken
  kUnauthenticated,     // no or bad credentials
  kPermissionDenied,    // authenticated, but not allowed
  kFailedPrecondition,  // the system is not in a state where this can be done
  kTooLarge,            // input over a size limit
  kMethodNotAllowed,    // HTTP: the resource exists but not with this method
  kTimeout,             // a deadline passed
  kCancelled,           // stopped on request before it finished (a cancel, a newer push)
  kUnavailable,         // a dependency (engine, server) cannot be reached; retrying may help
  kIo,                  // the operating system refused a file or socket operation
  kInternal,            // a bug or an invariant that does not hold
  kUsage,               // CLI only: the command line itself is wrong (exit code 2)
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  /// Returns a copy whose message is "context: message", for adding where it happened.
  Error WithContext(std::string_view context) const;
};

/// Stable snake_case name used in API error bodies ("not_found").
std::string_view ErrorCodeName(ErrorCode code);
/// Parses a name produced by ErrorCodeName; unknown names map to kInternal.
ErrorCode ErrorCodeFromName(std::string_view name);
/// The HTTP status an API handler answers with for this code.
int HttpStatusFor(ErrorCode code);
/// The error code a client should assume for an HTTP status without a JSON error body.
ErrorCode ErrorCodeForHttpStatus(int status);
/// CLI exit code: 2 for kUsage, 1 for every other failure.
int ExitCodeFor(ErrorCode code);

}  // namespace yard
