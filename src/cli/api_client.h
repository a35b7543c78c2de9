#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "http/client.h"

namespace yard::cli {

using Json = nlohmann::json;

/// Calls the server's JSON API with a bearer token. An error response becomes an Error with the
/// server's code and message; a response that is not JSON becomes kInternal.
class ApiClient {
 public:
  static Result<ApiClient> Create(const std::string& server, const std::string& token);

  Result<Json> Get(const std::string& path);
  Result<Json> Post(const std::string& path, const Json& body);
  Result<Json> Delete(const std::string& path);
  Result<Json> Call(const std::string& method, const std::string& path, const Json* body);
  /// GETs a streamed NDJSON answer (a followed log) and hands each JSON line to `on_line` as
  /// it arrives, until the server ends the stream (Ok) or the connection breaks. Blank lines
  /// (keep-alives) are skipped. An error answer becomes an Error as in Call.
  /// With `post_body`: POSTs it instead (a run whose output is streamed).
  Status StreamLines(const std::string& path, const std::function<void(const Json&)>& on_line,
                     const Json* post_body = nullptr);

  const std::string& server() const { return server_; }
  /// How long one call may take (30 s unless changed).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  ApiClient(http::Client client, std::string server, std::string token)
      : client_(std::move(client)), server_(std::move(server)), token_(std::move(token)) {}

  http::Client client_;
  std::string server_;
  std::string token_;
  std::chrono::milliseconds timeout_{30000};
};

}  // namespace yard::cli
