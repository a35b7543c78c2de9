#pragma once

// A client for the edge as browsers use it: TLS to 127.0.0.1:PORT with the hostname as SNI
// and Host, the certificate checked against a given root and the hostname. One connection per
// call, so that each request goes through the edge's routing afresh.

#include <chrono>
#include <map>
#include <string>

#include "base/result.h"

namespace yard::testing {

struct HttpsTarget {
  std::string host;  // SNI, Host and the name the certificate must carry
  int port = 443;    // on 127.0.0.1
  std::string ca_file;
};

struct HttpsResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

/// GET `path`. Errors: kUnavailable when the connection or the TLS handshake fails (the
/// message says which), kTimeout.
Result<HttpsResponse> HttpsGet(const HttpsTarget& target, const std::string& path,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Opens a WebSocket at `path`, sends `message` as a text frame and returns the first frame
/// that comes back.
Result<std::string> WebSocketRoundTrip(const HttpsTarget& target, const std::string& path,
                                       const std::string& message,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace yard::testing
