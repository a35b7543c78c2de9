#include "api/cross_site.h"

#include <fmt/core.h>
#include <openssl/crypto.h>

#include <cctype>

#include "auth/session.h"

namespace yard::api {
namespace {

std::string Lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The first of a comma-separated header's values (proxies may append theirs), trimmed.
std::string_view First(std::string_view value) {
  value = value.substr(0, value.find(','));
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// "scheme://host[:port]" lowercased, without the scheme's default port.
std::string Normalise(std::string_view scheme, std::string_view host) {
  std::string lower_scheme = Lower(scheme);
  std::string lower_host = Lower(host);
  std::string_view default_port = lower_scheme == "https" ? ":443" : ":80";
  if (lower_host.ends_with(default_port)) {
    lower_host.resize(lower_host.size() - default_port.size());
  }
  return lower_scheme + "://" + lower_host;
}

Status Refuse(std::string_view why) {
  return Unexpected(ErrorCode::kPermissionDenied,
                    fmt::format("cross-site request refused: {}", why));
}

bool SafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

bool OverHttps(const http::Request& request) {
  return Lower(First(request.Header("x-forwarded-proto"))) == "https";
}

std::string SessionCookie(const http::Request& request, std::string_view secret, int64_t max_age) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", auth::kSessionCookie,
                     secret, max_age, OverHttps(request) ? "; Secure" : "");
}

Status CheckOrigin(const http::Request& request) {
  const std::string& origin = request.Header("origin");
  if (origin.empty()) return Ok();
  std::string_view host = First(request.Header("x-forwarded-host"));
  if (host.empty()) host = request.Header("host");
  std::string_view scheme = First(request.Header("x-forwarded-proto"));
  if (scheme.empty()) scheme = "http";
  if (host.empty()) return Refuse("the request has an Origin but no Host");
  // "null" (a sandboxed frame, a redirect) never equals an origin made this way.
  size_t separator = origin.find("://");
  std::string sent = separator == std::string::npos
                         ? Lower(origin)
                         : Normalise(std::string_view(origin).substr(0, separator),
                                     std::string_view(origin).substr(separator + 3));
  if (sent != Normalise(scheme, host)) {
    return Refuse(
        fmt::format("origin '{}' is not this server ({})", origin, Normalise(scheme, host)));
  }
  return Ok();
}

Status CheckCrossSite(const http::Request& request, const store::Session& session) {
  if (SafeMethod(request.method)) return Ok();
  const std::string& token = request.Header("x-csrf-token");
  if (token.empty()) return Refuse("the X-CSRF-Token header is missing");
  if (token.size() != session.csrf_token.size() ||
      CRYPTO_memcmp(token.data(), session.csrf_token.data(), token.size()) != 0) {
    return Refuse("the X-CSRF-Token header does not match the session");
  }
  TRY(CheckOrigin(request));
  // Browsers that send Sec-Fetch-Site say who made the request; only the page itself may.
  const std::string& fetch_site = request.Header("sec-fetch-site");
  if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none") {
    return Refuse(fmt::format("Sec-Fetch-Site is '{}'", fetch_site));
  }
  return Ok();
}

}  // namespace yard::api
