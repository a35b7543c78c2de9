#include "http/client.h"

#include <fcntl.h>
#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <type_traits>
#include <vector>

namespace yard::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxResponseBytes = 64 * 1024 * 1024;
constexpr size_t kStreamChunkBytes = 64 * 1024;
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxUpgradeErrorBytes = 1024 * 1024;
using SteadyClock = std::chrono::steady_clock;
// Stands for "no limit" while keeping deadline arithmetic far from overflow.
constexpr std::chrono::milliseconds kNoLimit = std::chrono::hours(24 * 365);
// How often a request's cancel flag is looked at while the exchange waits.
constexpr std::chrono::milliseconds kCancelPoll{100};

// When the server last sent something; written and read only on the calling thread.
struct Activity {
  bool request_sent = false;
  SteadyClock::time_point last = SteadyClock::now();
  void Touch() { last = SteadyClock::now(); }
};

bhttp::request<bhttp::string_body> ToBeast(const ClientRequest& request, const std::string& host) {
  bhttp::request<bhttp::string_body> out;
  out.version(11);
  out.method_string(request.method);
  out.target(request.target);
  out.set(bhttp::field::host, host);
  out.set(bhttp::field::user_agent, "yard");
  for (const auto& [name, value] : request.headers) out.set(name, value);
  if (!request.body.empty()) out.set(bhttp::field::content_type, request.content_type);
  out.body() = request.body;
  out.keep_alive(false);
  out.prepare_payload();
  return out;
}

Response FromBeast(bhttp::response<bhttp::string_body>& in) {
  Response response;
  response.status = static_cast<int>(in.result_int());
  response.content_type = std::string(in[bhttp::field::content_type]);
  for (const auto& field : in) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(in.body());
  return response;
}

// Writes the request and reads the response on an already connected stream.
template <typename Stream>
asio::awaitable<void> Exchange(Stream& stream, bhttp::request<bhttp::string_body>& request,
                               std::optional<Result<Response>>& result) {
  auto [write_error, written] = co_await bhttp::async_write(stream, request, kAwaitable);
  if (write_error) {
    result = Unexpected(ErrorCode::kIo, "send request: " + write_error.message());
    co_return;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  auto [read_error, read] = co_await bhttp::async_read(stream, buffer, parser, kAwaitable);
  if (read_error) {
    result = Unexpected(ErrorCode::kIo, "read response: " + read_error.message());
    co_return;
  }
  result = FromBeast(parser.get());
}

// Reads the header, then hands the body on in pieces as they arrive.
template <typename Stream>
asio::awaitable<void> StreamingExchange(Stream& stream, bhttp::request<bhttp::string_body>& request,
                                        const Client::BodySink& on_body_chunk, Activity& activity,
                                        std::optional<Result<Response>>& result) {
  auto [write_error, written] = co_await bhttp::async_write(stream, request, kAwaitable);
  if (write_error) {
    result = Unexpected(ErrorCode::kIo, "send request: " + write_error.message());
    co_return;
  }
  activity.Touch();
  activity.request_sent = true;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [header_error, header_read] =
      co_await bhttp::async_read_header(stream, buffer, parser, kAwaitable);
  if (header_error) {
    result = Unexpected(ErrorCode::kIo, "read response: " + header_error.message());
    co_return;
  }
  activity.Touch();
  Response response;
  const auto& header = parser.get();
  response.status = static_cast<int>(header.result_int());
  response.content_type = std::string(header[bhttp::field::content_type]);
  for (const auto& field : header) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  std::vector<char> chunk(kStreamChunkBytes);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    // read_some, not read: read returns only once the chunk buffer is full or the body ends,
    // which would hold a slow stream's lines back until then.
    auto [error, read] = co_await bhttp::async_read_some(stream, buffer, parser, kAwaitable);
    if (error == bhttp::error::need_buffer) error = {};
    if (error) {
      result = Unexpected(ErrorCode::kIo, "read response body: " + error.message());
      co_return;
    }
    activity.Touch();
    size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) on_body_chunk(std::string_view(chunk.data(), got));
  }
  result = std::move(response);
}

// Reads the response head and not one byte more: it peeks at what has arrived and takes only
// the bytes up to the blank line, so that what follows the head (a hijacked stream's first
// output) stays in the socket for its next reader. Beast's parsers read ahead into their
// buffer, and a socket cannot be given bytes back.
template <typename Stream>
asio::awaitable<beast::error_code> ReadHeadOnly(Stream& stream, std::string& head) {
  char peeked[4096];
  beast::error_code mode_error;
  // So that a read finding nothing answers would_block instead of waiting outside the loop.
  stream.non_blocking(true, mode_error);
  if (mode_error) co_return mode_error;
  while (true) {
    auto [wait_error] = co_await stream.async_wait(Stream::wait_read, kAwaitable);
    if (wait_error) co_return wait_error;
    beast::error_code error;
    size_t n = stream.receive(asio::buffer(peeked), Stream::message_peek, error);
    if (error == asio::error::would_block || error == asio::error::try_again) continue;
    if (error) co_return error;
    if (n == 0) co_return beast::error_code(asio::error::eof);
    size_t had = head.size();
    head.append(peeked, n);
    size_t end = head.find("\r\n\r\n", had >= 3 ? had - 3 : 0);
    size_t take = end == std::string::npos ? n : end + 4 - had;
    head.resize(had + take);
    // What was peeked is in the socket's buffer: these reads do not wait.
    for (size_t taken = 0; taken < take;) {
      taken += stream.receive(asio::buffer(peeked + taken, take - taken), 0, error);
      if (error) co_return error;
    }
    if (end != std::string::npos) co_return beast::error_code();
    if (head.size() > kMaxHeadBytes) co_return beast::error_code(bhttp::error::header_limit);
  }
}

// Sends the upgrade request and, on 101 or 2xx, releases the socket to the caller.
template <typename Stream>
asio::awaitable<void> UpgradeExchange(Stream& stream, bhttp::request<bhttp::string_body>& request,
                                      std::optional<Result<UpgradedConnection>>& result) {
  auto [write_error, written] = co_await bhttp::async_write(stream, request, kAwaitable);
  if (write_error) {
    result = Unexpected(ErrorCode::kIo, "send request: " + write_error.message());
    co_return;
  }
  std::string head;
  if (beast::error_code error = co_await ReadHeadOnly(stream, head); error) {
    result = Unexpected(ErrorCode::kIo, "read response: " + error.message());
    co_return;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxUpgradeErrorBytes);
  beast::error_code parse_error;
  parser.put(asio::buffer(head), parse_error);
  if (parse_error || !parser.is_header_done()) {
    result = Unexpected(
        ErrorCode::kIo,
        "read response: " + (parse_error ? parse_error.message() : std::string("incomplete head")));
    co_return;
  }
  UpgradedConnection upgraded;
  const auto& header = parser.get();
  upgraded.status = static_cast<int>(header.result_int());
  upgraded.content_type = std::string(header[bhttp::field::content_type]);
  for (const auto& field : header) {
    upgraded.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  if (upgraded.status == 101 || (upgraded.status >= 200 && upgraded.status < 300)) {
    beast::error_code error;
    upgraded.socket.reset(stream.release(error));
    if (error) {
      result = Unexpected(ErrorCode::kIo, "take over the connection: " + error.message());
      co_return;
    }
    // Asio leaves its sockets nonblocking, and does not open them close-on-exec.
    int fd = upgraded.socket.get();
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
        ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      result = Unexpected(ErrorCode::kIo, "take over the connection: fcntl failed");
      co_return;
    }
    result = std::move(upgraded);
    co_return;
  }
  if (!parser.is_done()) {
    beast::flat_buffer buffer;
    auto [read_error, read] = co_await bhttp::async_read(stream, buffer, parser, kAwaitable);
    if (read_error) {
      result = Unexpected(ErrorCode::kIo, "read response body: " + read_error.message());
      co_return;
    }
  }
  upgraded.body = std::move(parser.get().body());
  result = std::move(upgraded);
}

}  // namespace

Result<Endpoint> Endpoint::Parse(std::string_view url) {
  Endpoint endpoint;
  auto invalid = [&] {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid server address '{}': expected http://HOST:PORT or "
                                  "unix:///PATH",
                                  url));
  };
  if (url.starts_with("unix://")) {
    endpoint.kind = Kind::kUnix;
    endpoint.path = std::string(url.substr(7));
    if (endpoint.path.empty() || endpoint.path.front() != '/') return invalid();
    return endpoint;
  }
  if (!url.starts_with("http://")) return invalid();
  std::string_view rest = url.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return invalid();
  size_t colon = rest.rfind(':');
  if (rest.starts_with('[')) {  // [::1]:8080
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return invalid();
    endpoint.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    colon = rest.empty() ? std::string_view::npos : 0;
    if (colon != std::string_view::npos && rest[0] != ':') return invalid();
  } else {
    endpoint.host = std::string(rest.substr(0, colon));
  }
  endpoint.port = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
  if (endpoint.host.empty() || endpoint.port.empty() ||
      endpoint.port.find_first_not_of("0123456789") != std::string::npos) {
    return invalid();
  }
  return endpoint;
}

std::string Endpoint::ToString() const {
  if (kind == Kind::kUnix) return "unix://" + path;
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

namespace {

// Connects, runs the exchange made by `make_exchange` and enforces the time limits.
template <typename T, typename MakeExchange>
Result<T> RunExchange(const Endpoint& endpoint, const ClientRequest& request,
                      std::chrono::milliseconds timeout, std::chrono::milliseconds idle_timeout,
                      MakeExchange make_exchange) {
  for (const auto& [name, value] : request.headers) {
    if ((name + value).find_first_of("\r\n") != std::string::npos) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("header {} contains a line break", name));
    }
  }
  asio::io_context io;
  std::optional<Result<T>> result;
  Activity activity;
  std::string host_header =
      endpoint.kind == Endpoint::Kind::kUnix ? "localhost" : endpoint.host + ":" + endpoint.port;
  auto beast_request = ToBeast(request, host_header);
  if constexpr (std::is_same_v<T, UpgradedConnection>) {
    // Replaces the "close" that ToBeast sets.
    beast_request.set(bhttp::field::connection, "Upgrade");
    if (beast_request.find(bhttp::field::upgrade) == beast_request.end()) {
      beast_request.set(bhttp::field::upgrade, "tcp");
    }
  }
  auto cancelled = [&] { return request.cancel != nullptr && request.cancel->load(); };
  auto cancelled_error = [&] {
    return Unexpected(ErrorCode::kCancelled,
                      fmt::format("the request to {} was cancelled", endpoint.ToString()));
  };
  if (cancelled()) return cancelled_error();
  auto unreachable = [&](const beast::error_code& error) {
    return Unexpected(ErrorCode::kUnavailable,
                      fmt::format("cannot reach {}: {}", endpoint.ToString(), error.message()));
  };
  // Far-off limits stand for "none" without overflowing the time arithmetic below.
  timeout = std::min(timeout, kNoLimit);
  idle_timeout = std::min(idle_timeout, kNoLimit);
  const auto deadline = SteadyClock::now() + timeout;
  bool idle_expired = false;
  bool was_cancelled = false;

  // Runs the exchange until it finishes, the deadline passes, the request is cancelled or,
  // once the request is sent, the server stays silent for idle_timeout. Past a limit, closes
  // the socket and lets the coroutine finish with an aborted operation, so that nothing
  // outlives this call.
  auto run = [&](auto& socket, auto body) -> bool {
    asio::co_spawn(io, body(), asio::detached);
    while (!io.stopped()) {
      if (cancelled()) {
        was_cancelled = true;
        break;
      }
      auto until = deadline;
      if (activity.request_sent) until = std::min(until, activity.last + idle_timeout);
      auto now = SteadyClock::now();
      if (now >= until) {
        idle_expired = until < deadline;
        break;
      }
      SteadyClock::duration wait = until - now;
      if (request.cancel != nullptr) wait = std::min<SteadyClock::duration>(wait, kCancelPoll);
      io.run_for(wait);
    }
    if (result) return true;
    beast::error_code ignored;
    socket.close(ignored);
    io.restart();
    io.run();
    return false;
  };
  bool finished = false;
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    asio::local::stream_protocol::socket socket(io);
    finished = run(socket, [&]() -> asio::awaitable<void> {
      auto [error] = co_await socket.async_connect(endpoint.path, kAwaitable);
      if (error) {
        result = unreachable(error);
        co_return;
      }
      co_await make_exchange(socket, beast_request, activity, result);
    });
  } else {
    asio::ip::tcp::socket socket(io);
    asio::ip::tcp::resolver resolver(io);
    finished = run(socket, [&]() -> asio::awaitable<void> {
      auto [resolve_error, addresses] =
          co_await resolver.async_resolve(endpoint.host, endpoint.port, kAwaitable);
      if (resolve_error) {
        result = unreachable(resolve_error);
        co_return;
      }
      auto [error, connected] = co_await asio::async_connect(socket, addresses, kAwaitable);
      if (error) {
        result = unreachable(error);
        co_return;
      }
      co_await make_exchange(socket, beast_request, activity, result);
    });
  }
  if (!finished) {
    if (was_cancelled) return cancelled_error();
    if (idle_expired) {
      return Unexpected(
          ErrorCode::kTimeout,
          fmt::format("{} sent nothing for {} ms", endpoint.ToString(), idle_timeout.count()));
    }
    return Unexpected(ErrorCode::kTimeout, fmt::format("{} did not answer within {} ms",
                                                       endpoint.ToString(), timeout.count()));
  }
  if (!result) {
    return Unexpected(ErrorCode::kInternal, "HTTP exchange ended without a result");
  }
  return std::move(*result);
}

}  // namespace

Result<Response> Client::Send(const ClientRequest& request, std::chrono::milliseconds timeout) {
  return RunExchange<Response>(endpoint_, request, timeout, std::chrono::milliseconds::max(),
                               [](auto& stream, auto& beast_request, Activity&, auto& result) {
                                 return Exchange(stream, beast_request, result);
                               });
}

Result<Response> Client::SendStreaming(const ClientRequest& request,
                                       std::chrono::milliseconds timeout,
                                       const BodySink& on_body_chunk,
                                       std::chrono::milliseconds idle_timeout) {
  return RunExchange<Response>(
      endpoint_, request, timeout, idle_timeout,
      [&on_body_chunk](auto& stream, auto& beast_request, Activity& activity, auto& result) {
        return StreamingExchange(stream, beast_request, on_body_chunk, activity, result);
      });
}

Result<UpgradedConnection> Client::Upgrade(const ClientRequest& request,
                                           std::chrono::milliseconds timeout) {
  return RunExchange<UpgradedConnection>(
      endpoint_, request, timeout, std::chrono::milliseconds::max(),
      [](auto& stream, auto& beast_request, Activity&, auto& result) {
        return UpgradeExchange(stream, beast_request, result);
      });
}

}  // namespace yard::http
