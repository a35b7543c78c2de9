#pragma once

// What keeps other sites from acting with a signed-in browser's session cookie: the rules
// for requests authenticated by the yard_session cookie (docs/api.md, Conventions), and the
// cookie itself.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/message.h"
#include "store/sessions.h"

namespace yard::api {

/// True when the request reached the server's edge over HTTPS (X-Forwarded-Proto: https).
bool OverHttps(const http::Request& request);

/// The Set-Cookie value carrying a session's secret for `max_age` seconds (0: deletes it).
/// Secure when the request came over HTTPS.
std::string SessionCookie(const http::Request& request, std::string_view secret, int64_t max_age);

/// kPermissionDenied ("cross-site request refused: …") when the request has an Origin that is
/// not the server's own: the scheme and host the client used (Host, or X-Forwarded-Host and
/// X-Forwarded-Proto from a proxy). Nothing to check without an Origin.
Status CheckOrigin(const http::Request& request);

/// For a request authenticated by `session`'s cookie: GET, HEAD and OPTIONS pass; any other
/// method needs the session's X-CSRF-Token, a same-origin Origin when one is sent, and no
/// Sec-Fetch-Site saying that another site made it.
Status CheckCrossSite(const http::Request& request, const store::Session& session);

}  // namespace yard::api
