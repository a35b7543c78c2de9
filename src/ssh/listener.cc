#include "ssh/listener.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace yard::ssh {
namespace {

void KeepAlive(int fd) {
  int on = 1, idle = 60, interval = 10, count = 6;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  // Interactive sessions send keystrokes one by one.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

}  // namespace

Result<Listener> Listener::Open(const std::string& host, int port) {
  std::string what = fmt::format("listen for SSH on {}:{}", host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{}: {}", what, ::gai_strerror(rc)));
  }
  Listener listener;
  int error = 0;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      error = errno;
      continue;
    }
    int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), 128) != 0) {
      error = errno;
      continue;
    }
    listener.socket_ = std::move(fd);
    break;
  }
  ::freeaddrinfo(found);
  if (!listener.socket_) {
    return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(error)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(listener.socket_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  listener.port_ = bound.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listener.wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!listener.wake_) return Unexpected(ErrorCode::kIo, what + ": eventfd failed");
  return listener;
}

std::optional<Accepted> Listener::Accept(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  if (::poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  if (fds[1].revents != 0) {
    uint64_t count = 0;
    (void)!::read(wake_.get(), &count, sizeof(count));
    return std::nullopt;
  }
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  UniqueFd fd(::accept4(socket_.get(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC));
  if (!fd) return std::nullopt;  // the peer gave up already, or out of descriptors: next time
  KeepAlive(fd.get());
  Accepted accepted{.fd = std::move(fd)};
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&peer);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    accepted.peer_port = ntohs(in6->sin6_port);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&peer);
    ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
    accepted.peer_port = ntohs(in4->sin_port);
  }
  accepted.peer_ip = text;
  return accepted;
}

void Listener::Wake() {
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
}

}  // namespace yard::ssh
