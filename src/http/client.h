#pragma once

// A small blocking HTTP/1.1 client for the CLI and for talking to local daemons (engine and
// proxy APIs on unix sockets). One connection per request.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/message.h"

namespace yard::http {

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  /// When set, another thread may store true to abandon the exchange: the connection is
  /// closed within about 100 ms and the call fails with kCancelled. Closing is all the server
  /// learns; what it does about it is its own business (an engine may go on building).
  const std::atomic<bool>* cancel = nullptr;
};

/// Where a server listens: "http://HOST:PORT" or "unix:///path/to.sock".
struct Endpoint {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // kTcp
  std::string port;  // kTcp
  std::string path;  // kUnix

  /// kInvalidArgument with a message naming the expected forms.
  static Result<Endpoint> Parse(std::string_view url);
  std::string ToString() const;
};

/// A connection that another protocol took over after the response head (an engine's
/// hijacked exec or attach stream), or the error answer that refused it.
struct UpgradedConnection {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  /// On 101 or 2xx: the connection itself, blocking and close-on-exec. Nothing after the
  /// response head has been read from it: the new protocol's first bytes are still there.
  UniqueFd socket;
  /// On any other status: the response body (the server's explanation); `socket` is empty.
  std::string body;
};

class Client {
 public:
  explicit Client(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

  /// Sends the request and reads the whole response. kUnavailable when the server cannot be
  /// reached, kTimeout when `timeout` passes first, kCancelled when request.cancel is set
  /// first, kIo for a broken response. An HTTP error status is not an error here: it comes
  /// back in Response::status.
  Result<Response> Send(const ClientRequest& request, std::chrono::milliseconds timeout);

  /// Called with each piece of a response body as it arrives, on the caller's thread.
  using BodySink = std::function<void(std::string_view chunk)>;

  /// Like Send, but hands the body to `on_body_chunk` piece by piece as it arrives instead of
  /// collecting it, with no size limit: for build output, progress streams and bodies that
  /// end when the server closes the connection. The returned Response has the status and
  /// headers and an empty body. `timeout` bounds the whole exchange; `idle_timeout` (from the
  /// moment the request is sent) bounds each wait for the next byte. On kTimeout and
  /// kCancelled, whatever arrived before has already been passed on.
  Result<Response> SendStreaming(
      const ClientRequest& request, std::chrono::milliseconds timeout,
      const BodySink& on_body_chunk,
      std::chrono::milliseconds idle_timeout = std::chrono::milliseconds::max());

  /// Sends the request with "Connection: Upgrade" (and "Upgrade: tcp" unless the request
  /// names a protocol) and reads the response head. 101 and 2xx hand the connection over:
  /// servers differ (Docker answers 101; Podman 101 when asked to upgrade and 200 with the
  /// same raw stream when not). Other statuses come back with their body, as Send does.
  /// `timeout` bounds connecting, sending and the answer's head (and an error body).
  /// Errors as Send.
  Result<UpgradedConnection> Upgrade(const ClientRequest& request,
                                     std::chrono::milliseconds timeout);

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
};

}  // namespace yard::http
