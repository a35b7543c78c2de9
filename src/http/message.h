#pragma once

// HTTP messages as plain values, so that handlers and their tests never see Boost.Beast.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace yard::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // the path without the query, still percent-encoded (a segment may
                       // hold an encoded '/')
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;
  std::string remote;  // peer address, for logs

  /// The header's value, or "" when absent. `name` must be lowercase.
  const std::string& Header(const std::string& name) const;
};

/// A body made while it is sent, with chunked transfer encoding (logs that are followed). The
/// server calls it on a handler thread, again and again, until it returns false. Each call
/// appends what is ready to `chunk` and returns at once: it must not wait for more, since it
/// holds one of the server's few handler threads. When nothing was ready the server checks
/// that the client is still there and calls again after a short pause (no thread waits).
/// `stopping` is true once the server is stopping: return false then.
using BodyStream = std::function<bool(std::string& chunk, bool stopping)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// When set, the body is streamed (and `body` is ignored); the connection closes after it.
  BodyStream stream;
};

/// Splits a request target into its path (left encoded) and decoded query parameters. Returns
/// false when the target is not an origin-form path or has invalid percent-escapes.
bool ParseTarget(const std::string& target, std::string& path,
                 std::map<std::string, std::string>& query);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`). False on a bad escape.
bool PercentDecode(std::string_view text, std::string& out, bool plus_is_space);

/// Encodes everything but unreserved characters (RFC 3986).
std::string PercentEncode(std::string_view text);

/// The standard reason phrase ("Not Found") for a status code.
std::string_view ReasonPhrase(int status);

}  // namespace yard::http
