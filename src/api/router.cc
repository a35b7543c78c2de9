#include "api/router.h"

#include <fmt/core.h>

#include "api/cross_site.h"
#include "api/json.h"
#include "api/sse.h"
#include "auth/session.h"

namespace yard::api {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return segments;
}

// The yard_session cookie stands in for a bearer token when there is no Authorization
// header; such requests must then pass the cross-site rules (api/cross_site.h).
Result<auth::Principal> Authenticate(auth::Authenticator& authenticator,
                                     const http::Request& request) {
  const std::string& authorization = request.Header("authorization");
  std::string_view cookie = auth::CookieValue(request.Header("cookie"), auth::kSessionCookie);
  if (!authorization.empty() || cookie.empty()) return authenticator.Authenticate(authorization);
  auth::Principal principal = TRY(authenticator.AuthenticateSession(cookie));
  TRY(CheckCrossSite(request, *principal.session));
  return principal;
}

}  // namespace

void Router::Add(std::string_view method, std::string_view pattern, Access access,
                 RouteHandler handler) {
  Route route{std::string(method), {}, access, std::move(handler)};
  for (auto segment : Split(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

std::optional<std::map<std::string, std::string>> Router::Match(
    const Route& route, const std::vector<std::string_view>& segments) {
  if (route.segments.size() != segments.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    if (expected.size() > 2 && expected.front() == '{' && expected.back() == '}') {
      params[expected.substr(1, expected.size() - 2)] = std::string(segments[i]);
    } else if (expected != segments[i]) {
      return std::nullopt;
    }
  }
  // Placeholders are decoded only after matching, so that an encoded '/' stays in its segment.
  for (auto& [name, value] : params) {
    std::string decoded;
    if (!http::PercentDecode(value, decoded, false)) return std::nullopt;
    value = std::move(decoded);
  }
  return params;
}

http::Response Router::Handle(const http::Request& request) {
  auto segments = Split(request.path);
  const Route* found = nullptr;
  std::map<std::string, std::string> params;
  std::vector<std::string_view> allowed;
  bool needs_auth = request.path.starts_with("/api/");
  for (const Route& route : routes_) {
    auto matched = Match(route, segments);
    if (!matched) continue;
    if (route.access != Access::kPublic) needs_auth = true;
    allowed.push_back(route.method);
    if (route.method == request.method && found == nullptr) {
      found = &route;
      params = std::move(*matched);
    }
  }

  // A public route is answered without credentials even under /api/ (a webhook's signature is
  // its authentication); other methods on its path still need them.
  bool public_route = found != nullptr && found->access == Access::kPublic;
  std::optional<auth::Principal> principal;
  if ((needs_auth || found != nullptr) && !public_route) {
    auto authenticated = Authenticate(authenticator_, request);
    if (!authenticated) {
      auto response = ErrorResponse(authenticated.error());
      if (authenticated.error().code == ErrorCode::kUnauthenticated) {
        response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"stackyard\"");
        // A session cookie that no longer works is dropped from the browser.
        if (request.Header("authorization").empty() &&
            !auth::CookieValue(request.Header("cookie"), auth::kSessionCookie).empty()) {
          response.headers.emplace_back("Set-Cookie", SessionCookie(request, "", 0));
        }
      }
      return response;
    }
    principal = std::move(*authenticated);
  }

  if (found == nullptr) {
    if (allowed.empty()) {
      return ErrorResponse(Error{ErrorCode::kNotFound, fmt::format("no such endpoint: {} {}",
                                                                   request.method, request.path)});
    }
    std::string allow;
    for (auto method : allowed) allow += (allow.empty() ? "" : ", ") + std::string(method);
    auto response = ErrorResponse(Error{
        ErrorCode::kMethodNotAllowed,
        fmt::format("{} is not allowed on {} (allowed: {})", request.method, request.path, allow)});
    response.headers.emplace_back("Allow", allow);
    return response;
  }

  if (found->access == Access::kAdmin && !principal->IsAdmin()) {
    return ErrorResponse(Error{ErrorCode::kPermissionDenied, "this requires the admin role"});
  }
  RouteContext context{request, std::move(params), principal ? &*principal : nullptr};
  auto response = found->handler(context);
  if (!response) return ErrorResponse(response.error());
  // Browsers follow streams with EventSource, which reads only text/event-stream.
  return EventStreamIfAccepted(request, std::move(*response));
}

}  // namespace yard::api
