#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/core.h>

#include "controller/context.h"
#include "http/client.h"

namespace yard::controller {

bool SocketProber::Http(const std::string& host, int port, const std::string& path,
                        std::chrono::milliseconds timeout) {
  auto endpoint = http::Endpoint::Parse(fmt::format("http://{}:{}", host, port));
  if (!endpoint) return false;
  http::Client client(*endpoint);
  auto response = client.Send({.method = "GET", .target = path}, timeout);
  return response && response->status >= 200 && response->status < 400;
}

bool SocketProber::Tcp(const std::string& host, int port, std::chrono::milliseconds timeout) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd poll_fd{fd, POLLOUT, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(timeout.count())) == 1) {
      int error = 0;
      socklen_t length = sizeof error;
      ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace yard::controller
