#pragma once

// A canned engine for DockerRuntime's unit tests: it serves one connection at a time on a
// unix socket and answers with what Podman 4.3 answered when these tests were written.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/message.h"
#include "runtime/docker_runtime.h"
#include "testing/temp_dir.h"

namespace yard::runtime {

struct CannedRequest {
  std::string method;
  std::string target;
  std::string body;
};

// Serves one connection at a time on a unix socket; `handler` returns the raw HTTP response
// (status line, headers, body), which is written before the connection is closed.
class CannedEngine {
 public:
  using Handler = std::function<std::string(const CannedRequest&)>;

  CannedEngine(const std::string& socket_path, Handler handler)
      : socket_path_(socket_path), handler_(std::move(handler)) {
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listen_fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on " << socket_path_;
    }
    if (pipe2(stop_pipe_, O_CLOEXEC) != 0) ADD_FAILURE() << "pipe";
    thread_ = std::thread([this] { Serve(); });
  }

  ~CannedEngine() {
    [[maybe_unused]] ssize_t written = write(stop_pipe_[1], "x", 1);
    thread_.join();
    close(listen_fd_);
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
  }

  http::Endpoint endpoint() const {
    return http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path_};
  }

  std::vector<CannedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      Handle(fd);
      close(fd);
    }
  }

  void Handle(int fd) {
    std::string data;
    char buffer[65536];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
    }
    CannedRequest request;
    std::string head = data.substr(0, header_end);
    size_t space = head.find(' ');
    request.method = head.substr(0, space);
    request.target = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
    size_t length = 0;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (size_t at = lower.find("content-length: "); at != std::string::npos) {
      length = std::stoul(lower.substr(at + 16));
    }
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      request.body.append(buffer, static_cast<size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    std::string response = handler_(request);
    std::string_view rest = response;
    while (!rest.empty()) {
      ssize_t n = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }

  std::string socket_path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<CannedRequest> requests_;
};

inline std::string Answer(int status, std::string_view body, std::string_view type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(http::ReasonPhrase(status)) +
         "\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

inline std::string Chunked(const std::vector<std::string>& chunks,
                    std::string_view type = "application/json") {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(type) +
                    "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& chunk : chunks) {
    char size[32];
    snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
    out += size + chunk + "\r\n";
  }
  return out + "0\r\n\r\n";
}

inline std::string Frame(char stream, std::string_view payload) {
  std::string frame(8, '\0');
  frame[0] = stream;
  uint32_t size = static_cast<uint32_t>(payload.size());
  frame[4] = static_cast<char>(size >> 24);
  frame[5] = static_cast<char>(size >> 16);
  frame[6] = static_cast<char>(size >> 8);
  frame[7] = static_cast<char>(size);
  return frame + std::string(payload);
}

inline constexpr std::string_view kPodmanVersion =
    R"({"Components":[{"Name":"Podman Engine","Version":"4.3.1"}],"Version":"4.3.1",
        "ApiVersion":"1.41"})";

class CannedEngineTest : public ::testing::Test {
 protected:
  void Serve(CannedEngine::Handler handler) {
    engine_.emplace(dir_.File("engine.sock"), std::move(handler));
    runtime_.emplace(engine_->endpoint(), "inst-1");
  }

  testing::TempDir dir_;
  std::optional<CannedEngine> engine_;
  std::optional<DockerRuntime> runtime_;
};

}  // namespace yard::runtime
