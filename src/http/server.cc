#include "http/server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cctype>
#include <list>

#include <fmt/core.h>

#include "base/log.h"

namespace yard::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
// How long a streamed body with nothing ready waits before its producer is asked again.
constexpr auto kStreamPause = std::chrono::milliseconds(200);

std::string ErrorBody(std::string_view code, std::string_view message) {
  // Fixed texts only, so no JSON escaping is needed.
  return fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message);
}

bhttp::response<bhttp::string_body> ToBeast(Response response, unsigned version,
                                            bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.set(bhttp::field::server, "stackyard");
  if (!response.body.empty() || response.status != 204) {
    out.set(bhttp::field::content_type, response.content_type);
  }
  for (auto& [name, value] : response.headers) out.set(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// The response for a request Beast could not parse, or nothing when the peer just went away.
std::optional<Response> ResponseForReadError(const beast::error_code& error) {
  if (error == bhttp::error::body_limit) {
    return Response{.status = 413,
                    .body = ErrorBody("too_large", "request body too large")};
  }
  if (error == bhttp::error::header_limit) {
    return Response{.status = 431, .body = ErrorBody("too_large", "request header too large")};
  }
  if (error.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
      error != bhttp::error::end_of_stream && error != bhttp::error::partial_message) {
    return Response{.status = 400, .body = ErrorBody("invalid_argument", "malformed HTTP request")};
  }
  return std::nullopt;
}

Request ToRequest(const bhttp::request<bhttp::string_body>& in, std::string remote) {
  Request request;
  request.method = std::string(in.method_string());
  request.target = std::string(in.target());
  for (const auto& field : in) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers[name] = std::string(field.value());
  }
  request.body = in.body();
  request.remote = std::move(remote);
  return request;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  struct Connection {
    beast::tcp_stream* stream;
    bool reading = false;
  };

  Impl(asio::io_context& io_context, Handler request_handler, ServerOptions server_options)
      : io(io_context),
        handler(std::move(request_handler)),
        options(std::move(server_options)),
        acceptor(io_context) {
    if (options.handler_threads > 0) workers.emplace(options.handler_threads);
  }
  ~Impl() {
    if (workers) workers->join();
  }

  // Runs the handler on a worker thread when there are workers (so that a slow handler never
  // stalls other connections), else inline; either way the coroutine resumes on the io thread.
  asio::awaitable<Response> Handle(Request& request);
  // Sends a streamed body (Response::stream) after its head; false when the client left.
  asio::awaitable<void> Stream(beast::tcp_stream& stream, Response& response, unsigned version);

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(tcp::socket socket);
  Response Dispatch(Request& request);

  asio::io_context& io;
  Handler handler;
  ServerOptions options;
  tcp::acceptor acceptor;
  std::optional<asio::thread_pool> workers;
  uint16_t bound_port = 0;
  bool stopping = false;
  // `stopping` for streamed bodies, which run on worker threads.
  std::atomic<bool> stopping_for_streams{false};
  // All open connections. Only touched on the io_context's thread.
  std::list<Connection> connections;
};

Response Server::Impl::Dispatch(Request& request) {
  if (!ParseTarget(request.target, request.path, request.query)) {
    return Response{.status = 400, .body = ErrorBody("invalid_argument", "malformed request target")};
  }
  // Handlers report errors as values; an exception here is a bug (typically a library that
  // throws on input nobody anticipated). It must cost one request, never the connection or
  // the server.
  try {
    return handler(request);
  } catch (const std::exception& error) {
    log::Error("{} {} {}: unhandled exception: {}", request.remote, request.method, request.target,
               error.what());
  } catch (...) {
    log::Error("{} {} {}: unhandled exception", request.remote, request.method, request.target);
  }
  return Response{.status = 500, .body = ErrorBody("internal", "internal error; see the server log")};
}

asio::awaitable<Response> Server::Impl::Handle(Request& request) {
  if (!workers) co_return Dispatch(request);
  co_return co_await asio::co_spawn(
      workers->get_executor(),
      [this, &request]() -> asio::awaitable<Response> { co_return Dispatch(request); },
      asio::use_awaitable);
}

asio::awaitable<void> Server::Impl::Accept() {
  auto self = shared_from_this();
  asio::steady_timer backoff(io);
  while (!stopping) {
    auto [error, socket] = co_await acceptor.async_accept(kAwaitable);
    if (stopping) break;
    if (error) {
      if (error == asio::error::operation_aborted) break;
      // Usually EMFILE: wait a little instead of spinning on a failing accept.
      log::Warn("accept failed: {}", error.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(kAwaitable);
      continue;
    }
    if (connections.size() >= options.max_connections) {
      static const std::string kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: "
          "application/json\r\nContent-Length: " +
          std::to_string(ErrorBody("unavailable", "too many connections").size()) + "\r\n\r\n" +
          ErrorBody("unavailable", "too many connections");
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.send(asio::buffer(kBusy), 0, ignored);
      socket.close(ignored);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Serve(tcp::socket socket) {
  auto self = shared_from_this();
  beast::error_code ignored;
  auto endpoint = socket.remote_endpoint(ignored);
  std::string remote = fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  beast::tcp_stream stream(std::move(socket));
  auto connection = connections.insert(connections.end(), Connection{&stream});
  // Unregisters the connection however this coroutine ends, so the list never holds a
  // pointer to a destroyed stream.
  struct Unregister {
    std::list<Connection>& list;
    std::list<Connection>::iterator entry;
    ~Unregister() { list.erase(entry); }
  } unregister{connections, connection};
  beast::flat_buffer buffer;

  while (!stopping) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    stream.expires_after(options.request_timeout);

    connection->reading = true;
    auto [header_error, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, kAwaitable);
    beast::error_code read_error = header_error;
    if (!read_error && parser.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      auto [continue_error, continue_bytes] = co_await bhttp::async_write(stream, go_on, kAwaitable);
      read_error = continue_error;
    }
    if (!read_error && !parser.is_done()) {
      auto [body_error, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, kAwaitable);
      read_error = body_error;
    }
    connection->reading = false;

    Response response;
    bool keep_alive = false;
    unsigned version = 11;
    if (read_error) {
      auto error_response = ResponseForReadError(read_error);
      if (!error_response) break;  // the peer left, timed out, or we are stopping
      log::Debug("{} bad request: {}", remote, read_error.message());
      response = std::move(*error_response);
    } else {
      auto started = std::chrono::steady_clock::now();
      Request request = ToRequest(parser.get(), remote);
      version = parser.get().version();
      keep_alive = parser.get().keep_alive() && !stopping;
      response = co_await Handle(request);
      if (log::Enabled(log::Level::kDebug)) {
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
        log::Debug("{} {} {} {} {}us", remote, request.method, request.target, response.status,
                   micros);
      }
    }

    if (response.stream) {
      co_await Stream(stream, response, version);
      break;
    }
    auto message = ToBeast(std::move(response), version, keep_alive);
    stream.expires_after(options.write_timeout);
    auto [write_error, written] = co_await bhttp::async_write(stream, message, kAwaitable);
    if (write_error || !keep_alive) break;
  }

  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
}

asio::awaitable<void> Server::Impl::Stream(beast::tcp_stream& stream, Response& response,
                                           unsigned version) {
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status), version};
  head.set(bhttp::field::server, "stackyard");
  head.set(bhttp::field::content_type, response.content_type);
  // Proxies in front (Caddy included) must pass chunks on as they come.
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  for (auto& [name, value] : response.headers) head.set(name, value);
  head.chunked(true);
  head.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> serializer{head};
  stream.expires_after(options.write_timeout);
  auto [head_error, head_bytes] = co_await bhttp::async_write_header(stream, serializer, kAwaitable);
  if (head_error) co_return;

  BodyStream produce = std::move(response.stream);
  asio::steady_timer pause(io);
  for (;;) {
    std::string chunk;
    bool more = false;
    auto call = [&] { more = produce(chunk, stopping_for_streams.load()); };
    if (workers) {
      co_await asio::co_spawn(
          workers->get_executor(), [&]() -> asio::awaitable<void> { call(); co_return; },
          asio::use_awaitable);
    } else {
      call();
    }
    stream.expires_after(options.write_timeout);
    if (!chunk.empty()) {
      auto [error, written] =
          co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(chunk)), kAwaitable);
      if (error) co_return;
    } else {
      // Nothing to send: has the client gone? A closed peer reads as end of file.
      char probe;
      ssize_t peeked = ::recv(stream.socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
      if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) co_return;
      if (more) {
        pause.expires_after(kStreamPause);
        co_await pause.async_wait(kAwaitable);
      }
    }
    if (!more) break;
  }
  auto [last_error, last_bytes] =
      co_await asio::async_write(stream, bhttp::make_chunk_last(), kAwaitable);
  (void)last_error;
}

Server::Server(asio::io_context& io, Handler handler, ServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handler), std::move(options))) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  beast::error_code error;
  auto address = asio::ip::make_address(impl_->options.host, error);
  if (error) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid listen address '{}': use an IP address such as "
                                  "127.0.0.1",
                                  impl_->options.host));
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  auto fail = [&](std::string_view what) {
    return Unexpected(ErrorCode::kIo, fmt::format("{} {}:{}: {}", what, impl_->options.host,
                                                  impl_->options.port, error.message()));
  };
  acceptor.open(endpoint.protocol(), error);
  if (error) return fail("open");
  acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (error) return fail("configure");
  if (impl_->options.freebind) {
    int on = 1;
    // IP_FREEBIND at the IPv4 level covers IPv6 sockets too (Linux shares the flag).
    if (::setsockopt(acceptor.native_handle(), IPPROTO_IP, IP_FREEBIND, &on, sizeof on) != 0) {
      error.assign(errno, boost::system::system_category());
      return fail("configure");
    }
  }
  acceptor.bind(endpoint, error);
  if (error) return fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return fail("listen");
  impl_->bound_port = acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  return Ok();
}

uint16_t Server::port() const { return impl_->bound_port; }

void Server::Stop() {
  if (impl_->stopping) return;
  impl_->stopping = true;
  impl_->stopping_for_streams = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  // Connections waiting for a request are closed now; the others finish their response.
  for (auto& connection : impl_->connections) {
    if (connection.reading) connection.stream->cancel();
  }
}

size_t Server::connection_count() const { return impl_->connections.size(); }

}  // namespace yard::http
