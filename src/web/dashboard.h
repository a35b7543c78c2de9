#pragma once

// Serves the dashboard: the page (index.html) for the routes the page handles itself, and its
// files under /assets/. Everything else outside the API is 404. docs/dashboard.md.

#include <string_view>
#include <utility>

#include "http/message.h"
#include "web/assets.h"

namespace yard::web {

/// True for paths the API router answers: /api and below, /healthz, /metrics. The rest is
/// the dashboard's.
bool IsApiPath(std::string_view path);

class Dashboard {
 public:
  explicit Dashboard(const Assets& assets) : assets_(assets) {}

  /// GET and HEAD of `/`, `/login`, `/account`, `/projects` and `/projects/...` answer
  /// index.html, of `/assets/PATH` the file; with an ETag, `Cache-Control: no-cache` (the
  /// browser asks again each time, and gets 304 when If-None-Match still matches) and the
  /// security headers (kSecurityHeaders) on every answer, errors included.
  http::Response Handle(const http::Request& request) const;

 private:
  const Assets& assets_;
};

/// Content-Security-Policy and friends: the page runs only its own scripts and styles, talks
/// only to this server, and is never framed.
inline constexpr std::pair<std::string_view, std::string_view> kSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
};

}  // namespace yard::web
