#pragma once

// Plain POSIX sockets to 127.0.0.1 for tests that must send what no HTTP library would: half
// requests, garbage, oversized headers, pipelined requests.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace yard::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

/// A non-blocking TCP connection; every operation has a deadline.
class RawConnection {
 public:
  using Clock = std::chrono::steady_clock;

  static Result<RawConnection> Connect(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Unexpected(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
    RawConnection connection(fd);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      return Unexpected(ErrorCode::kUnavailable, std::string("connect: ") + std::strerror(errno));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return connection;
  }

  RawConnection(RawConnection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)),
        peer_closed_(other.peer_closed_) {}
  RawConnection& operator=(RawConnection&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
      buffer_ = std::move(other.buffer_);
      peer_closed_ = other.peer_closed_;
    }
    return *this;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() { Close(); }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  /// Bytes received and not yet consumed by ReadResponse.
  const std::string& received() const { return buffer_; }

  /// Sends `data`, reading whatever arrives meanwhile (a server may answer and close before
  /// the whole request is sent). Stops sending once the peer refuses more. Returns the number
  /// of bytes sent; kTimeout if the deadline passes first.
  Result<size_t> Send(std::string_view data, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;  // EPIPE, ECONNRESET
      int wait = MillisUntil(deadline);
      if (wait == 0) return Unexpected(ErrorCode::kTimeout, "send timed out");
      pollfd pfd{fd_, POLLOUT | POLLIN, 0};
      if (::poll(&pfd, 1, wait) < 0 && errno != EINTR) break;
      if (pfd.revents & POLLIN) {
        if (!Fill()) break;
      }
      if (pfd.revents & (POLLERR | POLLHUP)) break;
    }
    return sent;
  }

  /// Reads one whole response (pipelined responses stay buffered for the next call).
  /// kTimeout if none arrives in time, kIo if the peer closes before it is complete.
  Result<RawResponse> ReadResponse(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (true) {
      if (auto response = TakeResponse()) return std::move(*response);
      if (peer_closed_) {
        return Unexpected(ErrorCode::kIo, "connection closed; received: " + Printable(buffer_));
      }
      if (!WaitReadable(deadline)) {
        return Unexpected(ErrorCode::kTimeout, "no response; received: " + Printable(buffer_));
      }
      Fill();
    }
  }

  /// Waits until the peer closes the connection (EOF or reset). True when it did in time.
  bool WaitForClose(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!peer_closed_) {
      if (!WaitReadable(deadline)) return false;
      Fill();
    }
    return true;
  }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}

  static int MillisUntil(Clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
  }

  // Polls at least once, even when the deadline has passed.
  bool WaitReadable(Clock::time_point deadline) {
    while (true) {
      int wait = MillisUntil(deadline);
      pollfd pfd{fd_, POLLIN, 0};
      int ready = ::poll(&pfd, 1, wait);
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
      if (ready == 0 && wait == 0) return false;
    }
  }

  // Reads what is available; false (and peer_closed_) at EOF or on a reset.
  bool Fill() {
    char chunk[65536];
    while (true) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      peer_closed_ = true;  // 0: EOF; ECONNRESET and friends: gone as well
      return false;
    }
  }

  static std::string Printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 300)) {
      out += std::isprint(static_cast<unsigned char>(c)) || c == '\n' ? c : '.';
    }
    return out;
  }

  // Parses one response from the front of the buffer if it is complete.
  std::optional<RawResponse> TakeResponse() {
    size_t header_end = buffer_.find("\r\n\r\n");
    if (header_end == std::string::npos) return std::nullopt;
    std::string_view head(buffer_.data(), header_end);
    RawResponse response;
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return std::nullopt;
    response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    while (line_end != std::string_view::npos) {
      size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      std::string_view line = head.substr(start, line_end == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : line_end - start);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response.headers[name] = std::string(value);
    }
    size_t body_start = header_end + 4;
    size_t length = 0;
    if (auto it = response.headers.find("content-length"); it != response.headers.end()) {
      length = std::stoul(it->second);
    } else if (response.status != 204 && response.status != 304 && response.status >= 200) {
      // No length: the body runs until the connection closes.
      if (!peer_closed_) return std::nullopt;
      length = buffer_.size() - body_start;
    }
    if (buffer_.size() - body_start < length) return std::nullopt;
    response.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return response;
  }

  int fd_ = -1;
  std::string buffer_;
  bool peer_closed_ = false;
};

}  // namespace yard::testing
