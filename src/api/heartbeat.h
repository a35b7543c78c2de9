#pragma once

// Followed NDJSON streams (logs, events, a command's output) with nothing to say send an empty
// line now and then, so that proxies and clients see the connection is alive. A stream's
// producer is asked every 200 ms (http/message.h); every 75th empty answer, 15 s, beats.

#include <string>

namespace yard::api {

class Heartbeat {
 public:
  /// Called with each chunk a poll produced: resets on data, adds "\n" when it is time.
  void Poll(std::string& chunk) {
    if (!chunk.empty()) {
      idle_polls_ = 0;
    } else if (++idle_polls_ >= kPolls) {
      chunk.push_back('\n');
      idle_polls_ = 0;
    }
  }

 private:
  static constexpr int kPolls = 75;
  int idle_polls_ = 0;
};

}  // namespace yard::api
