#pragma once

// An HTTP/1.1 server on Boost.Beast and C++20 coroutines. Beast stays inside server.cc.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "http/message.h"

namespace boost::asio {
class io_context;
}

namespace yard::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port
  /// A request whose body is larger gets 413 and the connection is closed.
  size_t max_body_bytes = 1024 * 1024;
  /// A request whose header is larger gets 431.
  size_t max_header_bytes = 16 * 1024;
  /// Time allowed to receive one whole request, counted from the first wait for it; this
  /// also bounds how long an idle keep-alive connection stays open. Slow or half-open
  /// clients are disconnected when it passes.
  std::chrono::milliseconds request_timeout{15000};
  /// Time allowed to send a response.
  std::chrono::milliseconds write_timeout{30000};
  /// Connections beyond this many are answered 503 and closed at once.
  size_t max_connections = 1024;
  /// Threads that run the handler, so that one slow request (a git fetch, say) never stalls
  /// the others. 0 runs handlers on the io_context's thread.
  size_t handler_threads = 4;
  /// Bind even when `host` is not (yet) an address of this machine (IP_FREEBIND): for the
  /// host's address on a container network, which exists only while a container is on it.
  bool freebind = false;
};

/// Serves `handler` on a TCP endpoint. Connections are served on the io_context's thread; the
/// handler runs on a pool of options.handler_threads threads, so it must be thread-safe and
/// may block. Start, Stop and the destructor must be called on the io_context's thread or
/// before it runs; the destructor waits for handlers in flight.
class Server {
 public:
  Server(boost::asio::io_context& io, Handler handler, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens. kInvalidArgument for a bad host, kIo when the port cannot be bound.
  Status Start();
  /// The bound port (useful when options.port was 0). REQUIRES: Start() succeeded.
  uint16_t port() const;
  /// Stops accepting, closes idle connections, and lets requests in flight finish. The
  /// io_context's run() returns once they have.
  void Stop();
  /// Open connections right now.
  size_t connection_count() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace yard::http
