#pragma once

// The HTTP listeners of devgit/handler.h: one per container network, on the host's address
// on it (the network's gateway). A container reaches its own network's gateway, which no
// other machine does, so nothing of this is exposed beyond the host and its containers. The
// address exists only while a container is on the network, so the listeners bind with
// IP_FREEBIND and start working when it appears.
//
// Listeners run on a thread and io_context of their own, since the controller's workers open
// them at any time.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "http/server.h"

namespace boost::asio {
class io_context;
}

namespace yard::devgit {

struct ListenerOptions {
  int port = 8418;
  /// Pushes are held in memory while git takes them.
  size_t max_body_bytes = 256 * 1024 * 1024;
  std::chrono::milliseconds request_timeout{300'000};
  size_t handler_threads = 2;
};

/// Thread-safe.
class Listeners {
 public:
  Listeners(http::Handler handler, ListenerOptions options);
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  /// Serves on IP:port from now on; nothing to do when it already does. kIo when the port is
  /// taken there.
  Status Listen(const std::string& ip);
  /// Stops serving on IP (requests under way finish).
  void Close(const std::string& ip);
  /// Stops every listener and waits for requests under way. Idempotent.
  void Stop();

  int port() const { return options_.port; }

 private:
  struct State;
  http::Handler handler_;
  ListenerOptions options_;
  std::shared_ptr<State> state_;
  std::thread thread_;
  std::mutex mutex_;
};

}  // namespace yard::devgit
