#pragma once

// JSON on the wire: responses, error bodies, and reading request bodies with clear errors.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "base/result.h"
#include "http/message.h"

namespace yard::api {

using Json = nlohmann::json;

/// A JSON response with the given status.
http::Response JsonResponse(int status, const Json& body);
/// {"error": {"code": "...", "message": "..."}} with the status the error code maps to.
http::Response ErrorResponse(const Error& error);

/// Parses a request body that must be a JSON object. An empty body counts as {}.
/// kInvalidArgument with the parser's position for malformed JSON.
Result<Json> ParseBody(const http::Request& request);

/// Reads an optional string field; kInvalidArgument if present with another type.
Result<std::optional<std::string>> OptionalString(const Json& object, const char* field);
/// Reads a required string field.
Result<std::string> RequiredString(const Json& object, const char* field);
/// Reads an optional boolean field (absent or null: nullopt).
Result<std::optional<bool>> OptionalBool(const Json& object, const char* field);
/// Reads an optional integer field.
Result<std::optional<int64_t>> OptionalInt(const Json& object, const char* field);
/// kInvalidArgument naming the first field of `object` not in `allowed`, so that typos in
/// requests are reported instead of silently ignored.
Status RejectUnknownFields(const Json& object, std::initializer_list<std::string_view> allowed);

/// `text` as an integer from `min` to `max`; `code` with "WHAT must be a number from …"
/// otherwise.
Result<int64_t> ParseNumber(std::string_view text, int64_t min, int64_t max, ErrorCode code,
                            std::string_view what);

/// A query parameter as an integer from `min` to `max` (400 otherwise); `fallback` when absent.
Result<int64_t> QueryNumber(const http::Request& request, const char* name, int64_t fallback,
                            int64_t min, int64_t max);

}  // namespace yard::api
