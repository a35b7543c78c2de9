#pragma once

// Dashboard sessions: what signing in makes (the cookie's secret, kept by the browser, and a
// CSRF token the page sends back), on top of store/sessions.h.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/sessions.h"

namespace yard::auth {

/// The cookie that carries a session's secret.
inline constexpr std::string_view kSessionCookie = "yard_session";

struct StartedSession {
  store::Session session;
  std::string secret;  // goes into the cookie; only its hash is stored
};

struct SessionClient {
  std::string remote;  // the address signing in
  std::string user_agent;
};

/// Starts a session for `user_id` lasting `lifetime`, with a fresh secret and CSRF token.
Result<StartedSession> StartSession(store::SessionStore& sessions, int64_t user_id,
                                    std::chrono::seconds lifetime, int64_t now,
                                    const SessionClient& client);

/// The value of cookie `name` in a Cookie header ("a=1; yard_session=..."), or "".
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);

/// `count` random bytes from the system CSPRNG, as lowercase hex. kInternal if it fails.
Result<std::string> RandomHex(size_t count);

}  // namespace yard::auth
