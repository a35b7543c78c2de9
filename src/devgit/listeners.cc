#include "devgit/listeners.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <optional>
#include <vector>

#include "base/log.h"

namespace yard::devgit {

namespace asio = boost::asio;

struct Listeners::State {
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  // Touched on the io thread only.
  std::map<std::string, std::unique_ptr<http::Server>> servers;
  // Closed servers live until the thread ends: requests under way still use them.
  std::vector<std::unique_ptr<http::Server>> closed;
  bool stopped = false;  // under Listeners::mutex_
};

Listeners::Listeners(http::Handler handler, ListenerOptions options)
    : handler_(std::move(handler)), options_(options), state_(std::make_shared<State>()) {
  thread_ = std::thread([state = state_] {
    state->io.run();
    // Servers are destroyed on the thread that ran them, once their connections are over.
    state->servers.clear();
    state->closed.clear();
  });
}

Listeners::~Listeners() { Stop(); }

Status Listeners::Listen(const std::string& ip) {
  std::lock_guard lock(mutex_);
  if (state_->stopped) return Unexpected(ErrorCode::kUnavailable, "the server is stopping");
  std::promise<Status> done;
  asio::post(state_->io, [&] {
    if (state_->servers.contains(ip)) return done.set_value(Ok());
    http::ServerOptions server_options;
    server_options.host = ip;
    server_options.port = static_cast<uint16_t>(options_.port);
    server_options.max_body_bytes = options_.max_body_bytes;
    server_options.request_timeout = options_.request_timeout;
    server_options.handler_threads = options_.handler_threads;
    server_options.freebind = true;
    auto server = std::make_unique<http::Server>(state_->io, handler_, server_options);
    Status started = server->Start();
    if (started) {
      log::Info("git for development deployments: listening on {}:{}", ip, options_.port);
      state_->servers.emplace(ip, std::move(server));
    }
    done.set_value(started);
  });
  return done.get_future().get();
}

void Listeners::Close(const std::string& ip) {
  std::lock_guard lock(mutex_);
  if (state_->stopped) return;
  std::promise<void> done;
  asio::post(state_->io, [&] {
    auto it = state_->servers.find(ip);
    if (it != state_->servers.end()) {
      it->second->Stop();
      log::Info("git for development deployments: no longer listening on {}", ip);
      state_->closed.push_back(std::move(it->second));
      state_->servers.erase(it);
    }
    done.set_value();
  });
  done.get_future().get();
}

void Listeners::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (state_->stopped) return;
    state_->stopped = true;
    asio::post(state_->io, [state = state_] {
      for (auto& [ip, server] : state->servers) server->Stop();
      state->work.reset();
    });
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace yard::devgit
