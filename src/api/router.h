#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.h"
#include "http/message.h"

namespace yard::api {

/// Who may call a route.
enum class Access {
  kPublic,         // anyone (health checks; webhooks, which carry their own signatures)
  kAuthenticated,  // any user with a valid token
  kAdmin,          // users with the admin role
};

struct RouteContext {
  const http::Request& request;
  /// Values of the pattern's {placeholders}, decoded.
  std::map<std::string, std::string> params;
  /// Set for every route but kPublic ones.
  const auth::Principal* principal = nullptr;

  const std::string& Param(const std::string& name) const { return params.at(name); }
};

/// A handler answers with a response, or with an error that the router turns into the JSON
/// error body and status of its code.
using RouteHandler = std::function<Result<http::Response>(const RouteContext&)>;

/// Maps (method, path pattern) to handlers and applies authentication. Patterns are literal
/// segments and {name} placeholders: "/api/v1/users/me/keys/{key}". Not thread-safe to Add
/// while handling; Handle is safe to call concurrently once routes are added.
class Router {
 public:
  explicit Router(auth::Authenticator& authenticator) : authenticator_(authenticator) {}

  void Add(std::string_view method, std::string_view pattern, Access access, RouteHandler handler);

  /// Answers a request: 404 for an unknown path, 405 (with Allow) for a known path with another
  /// method, 401 without valid credentials, 403 for a non-admin on an admin route. Paths under
  /// /api/ are authenticated before anything about them is revealed, except by a kPublic route
  /// matched with its method.
  http::Response Handle(const http::Request& request);

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Access access;
    RouteHandler handler;
  };
  static std::optional<std::map<std::string, std::string>> Match(
      const Route& route, const std::vector<std::string_view>& segments);

  auth::Authenticator& authenticator_;
  std::vector<Route> routes_;
};

}  // namespace yard::api
