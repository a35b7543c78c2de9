#include "api/json.h"

#include <charconv>

#include <fmt/core.h>

namespace yard::api {

http::Response JsonResponse(int status, const Json& body) {
  return http::Response{.status = status,
                        .content_type = "application/json",
                        .headers = {{"Cache-Control", "no-store"}},
                        // Replace invalid UTF-8 instead of throwing: stored strings are
                        // validated, but a response must never crash the server.
                        .body = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n"};
}

http::Response ErrorResponse(const Error& error) {
  Json body = {{"error", {{"code", ErrorCodeName(error.code)}, {"message", error.message}}}};
  return JsonResponse(HttpStatusFor(error.code), body);
}

Result<Json> ParseBody(const http::Request& request) {
  if (request.body.empty()) return Json::object();
  const std::string& type = request.Header("content-type");
  if (!type.empty() && type.find("json") == std::string::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("unsupported content type '{}': send application/json", type));
  }
  Json body;
  try {
    body = Json::parse(request.body);
  } catch (const Json::exception& error) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
    // out_of_range errors (a number like 1e400) come through here too.
    std::string_view what = error.what();
    size_t bracket = what.find("] ");
    if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("malformed JSON: {}", what));
  }
  if (!body.is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  return body;
}

Result<std::optional<bool>> OptionalBool(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' must be true or false", field));
  }
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::string>> OptionalString(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' must be a string", field));
  }
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> RequiredString(const Json& object, const char* field) {
  auto value = TRY(OptionalString(object, field));
  if (!value) return Unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' is required", field));
  return *value;
}

Result<std::optional<int64_t>> OptionalInt(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) {
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' must be an integer", field));
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

Status RejectUnknownFields(const Json& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (auto name : allowed) known = known || key == name;
    if (!known) {
      return Unexpected(ErrorCode::kInvalidArgument, fmt::format("unknown field '{}'", key));
    }
  }
  return Ok();
}

Result<int64_t> ParseNumber(std::string_view text, int64_t min, int64_t max, ErrorCode code,
                            std::string_view what) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return Unexpected(
        code, fmt::format("{} must be a number from {} to {}, not '{}'", what, min, max, text));
  }
  return value;
}

Result<int64_t> QueryNumber(const http::Request& request, const char* name, int64_t fallback,
                            int64_t min, int64_t max) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  return ParseNumber(it->second, min, max, ErrorCode::kInvalidArgument, name);
}

}  // namespace yard::api
