#include "cli/api_client.h"

#include <optional>

#include <fmt/core.h>

namespace yard::cli {

Result<ApiClient> ApiClient::Create(const std::string& server, const std::string& token) {
  auto endpoint = http::Endpoint::Parse(server);
  if (!endpoint) return Unexpected(ErrorCode::kUsage, endpoint.error().message);
  // A token is sent in a header: a line break in it would smuggle in other headers.
  if (token.find_first_of("\r\n") != std::string::npos) {
    return Unexpected(ErrorCode::kUsage, "the token contains a line break");
  }
  return ApiClient(http::Client(*endpoint), endpoint->ToString(), token);
}

Result<Json> ApiClient::Get(const std::string& path) { return Call("GET", path, nullptr); }

Result<Json> ApiClient::Post(const std::string& path, const Json& body) {
  return Call("POST", path, &body);
}

Result<Json> ApiClient::Delete(const std::string& path) { return Call("DELETE", path, nullptr); }

Result<Json> ApiClient::Call(const std::string& method, const std::string& path,
                             const Json* body) {
  http::ClientRequest request;
  request.method = method;
  request.target = path;
  request.headers.emplace_back("Authorization", "Bearer " + token_);
  request.headers.emplace_back("Accept", "application/json");
  if (body) {
    try {
      request.body = body->dump();
    } catch (const Json::type_error&) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "the input contains text that is not valid UTF-8");
    }
  }
  auto response = client_.Send(request, timeout_);
  if (!response) {
    if (response.error().code == ErrorCode::kUnavailable) {
      return Unexpected(ErrorCode::kUnavailable,
                        response.error().message + " (is `yard server` running?)");
    }
    return Unexpected(response.error());
  }
  Json json;
  if (!response->body.empty()) {
    json = Json::parse(response->body, nullptr, false);
    if (json.is_discarded()) {
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("{} answered {} with a body that is not JSON; is {} a "
                                    "Stackyard server?",
                                    server_, response->status, server_));
    }
  }
  if (response->status >= 400) {
    if (json.is_object() && json.contains("error") && json["error"].is_object()) {
      const Json& error = json["error"];
      return Unexpected(ErrorCodeFromName(error.value("code", "internal")),
                        error.value("message", "unknown error"));
    }
    return Unexpected(ErrorCodeForHttpStatus(response->status),
                      fmt::format("the server answered HTTP {}", response->status));
  }
  return json;
}

Status ApiClient::StreamLines(const std::string& path,
                              const std::function<void(const Json&)>& on_line,
                              const Json* post_body) {
  http::ClientRequest request;
  request.target = path;
  if (post_body != nullptr) {
    request.method = "POST";
    try {
      request.body = post_body->dump();
    } catch (const Json::type_error&) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "the input contains text that is not valid UTF-8");
    }
  }
  request.headers.emplace_back("Authorization", "Bearer " + token_);
  request.headers.emplace_back("Accept", "application/x-ndjson");
  std::string pending;
  std::optional<Json> error;  // an error answer's body: one JSON object with "error"
  auto sink = [&](std::string_view chunk) {
    pending.append(chunk);
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string_view line(pending.data() + start, end - start);
      if (line.empty() || error) continue;
      Json json = Json::parse(line, nullptr, false);
      if (json.is_object() && json.contains("error")) {
        error = std::move(json);
      } else if (!json.is_discarded()) {
        on_line(json);
      }
    }
    pending.erase(0, start);
  };
  // A follow lasts as long as the user wants; the server sends a keep-alive when idle.
  auto response = client_.SendStreaming(request, std::chrono::hours(24 * 365), sink,
                                        std::chrono::seconds(60));
  if (!response) {
    if (response.error().code == ErrorCode::kUnavailable) {
      return Unexpected(ErrorCode::kUnavailable,
                        response.error().message + " (is `yard server` running?)");
    }
    return Unexpected(response.error());
  }
  if (!pending.empty()) sink("\n");  // an error body without its newline
  if (response->status >= 400 || error) {
    const Json* body = error ? &*error : nullptr;
    if (body != nullptr && (*body)["error"].is_object()) {
      return Unexpected(ErrorCodeFromName((*body)["error"].value("code", "internal")),
                        (*body)["error"].value("message", "unknown error"));
    }
    if (body != nullptr && (*body)["error"].is_string()) {
      return Unexpected(ErrorCode::kInternal, (*body)["error"].get<std::string>());
    }
    return Unexpected(ErrorCodeForHttpStatus(response->status),
                      fmt::format("the server answered HTTP {}", response->status));
  }
  return Ok();
}

}  // namespace yard::cli
