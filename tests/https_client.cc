#include "https_client.h"

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>

namespace yard::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// A verified TLS connection to 127.0.0.1:PORT for `target.host`; reads and writes give up
// after `timeout` (socket options: the synchronous calls have no timers of their own).
Result<std::unique_ptr<ssl::stream<tcp::socket>>> Connect(asio::io_context& io,
                                                          ssl::context& context,
                                                          const HttpsTarget& target,
                                                          std::chrono::milliseconds timeout) {
  boost::system::error_code error;
  context.set_verify_mode(ssl::verify_peer);
  context.load_verify_file(target.ca_file, error);
  if (error) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "cannot load " + target.ca_file + ": " + error.message());
  }
  auto stream = std::make_unique<ssl::stream<tcp::socket>>(io, context);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(target.port));
  stream->next_layer().connect(endpoint, error);
  if (error) return Unexpected(ErrorCode::kUnavailable, "connect: " + error.message());
  timeval tv{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
             .tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  int fd = stream->next_layer().native_handle();
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  // SSL_set_tlsext_host_name, without the macro's C cast.
  if (!SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                const_cast<char*>(target.host.c_str()))) {
    return Unexpected(ErrorCode::kInternal, "cannot set SNI");
  }
  stream->set_verify_callback(ssl::host_name_verification(target.host));
  stream->handshake(ssl::stream_base::client, error);
  if (error) return Unexpected(ErrorCode::kUnavailable, "TLS handshake: " + error.message());
  return stream;
}

std::string HostHeader(const HttpsTarget& target) {
  return target.port == 443 ? target.host : target.host + ":" + std::to_string(target.port);
}

// One GET. `interrupted` is set when a blocking call was cut by a signal (EINTR): Asio's
// synchronous calls report that instead of retrying, and the engine's and the server's
// children make signals common in these tests.
Result<HttpsResponse> GetOnce(const HttpsTarget& target, const std::string& path,
                              std::chrono::milliseconds timeout, bool& interrupted) {
  interrupted = false;
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  auto stream = TRY(Connect(io, context, target, timeout));
  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, HostHeader(target));
  request.set(http::field::connection, "close");
  boost::system::error_code error;
  http::write(*stream, request, error);
  interrupted = error == asio::error::interrupted;
  if (error) return Unexpected(ErrorCode::kUnavailable, "write: " + error.message());
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(*stream, buffer, response, error);
  interrupted = error == asio::error::interrupted;
  if (error) return Unexpected(ErrorCode::kUnavailable, "read: " + error.message());
  HttpsResponse out{.status = static_cast<int>(response.result_int()), .body = response.body()};
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  stream->shutdown(error);  // a peer that just closes is fine
  return out;
}

}  // namespace

Result<HttpsResponse> HttpsGet(const HttpsTarget& target, const std::string& path,
                               std::chrono::milliseconds timeout) {
  // A GET is safe to repeat; an interrupted one is repeated on a new connection.
  for (int attempt = 1;; ++attempt) {
    bool interrupted = false;
    auto response = GetOnce(target, path, timeout, interrupted);
    if (response || !interrupted || attempt == 3) return response;
  }
}

Result<std::string> WebSocketRoundTrip(const HttpsTarget& target, const std::string& path,
                                       const std::string& message,
                                       std::chrono::milliseconds timeout) {
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  auto stream = TRY(Connect(io, context, target, timeout));
  beast::websocket::stream<ssl::stream<tcp::socket>&> socket(*stream);
  boost::system::error_code error;
  socket.handshake(HostHeader(target), path, error);
  if (error) return Unexpected(ErrorCode::kUnavailable, "WebSocket handshake: " + error.message());
  socket.text(true);
  socket.write(asio::buffer(message), error);
  if (error) return Unexpected(ErrorCode::kUnavailable, "WebSocket write: " + error.message());
  beast::flat_buffer buffer;
  socket.read(buffer, error);
  if (error) return Unexpected(ErrorCode::kUnavailable, "WebSocket read: " + error.message());
  std::string reply = beast::buffers_to_string(buffer.data());
  socket.close(beast::websocket::close_code::normal, error);
  return reply;
}

}  // namespace yard::testing
