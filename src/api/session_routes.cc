// /api/v1/sessions: the dashboard signs in with a password (or an API token) and gets a
// session cookie; docs/api.md, "Sessions".

#include <fmt/core.h>

#include <cctype>
#include <map>
#include <mutex>
#include <tuple>

#include "api/api.h"
#include "api/audit.h"
#include "api/cross_site.h"
#include "api/json.h"
#include "api/views.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/authenticator.h"
#include "base/log.h"

namespace yard::api {
namespace {

// One message for an unknown user, a user without a password and a wrong password, so that
// the answer does not tell which names exist.
constexpr std::string_view kWrongCredentials = "wrong username or password";

// A hash to verify against when there is no user or no password, so that such sign-ins take
// as long as a wrong password: the time would otherwise tell which names exist.
const std::string& DummyHash(const auth::ScryptParams& cost) {
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int>, std::string> hashes;
  std::lock_guard lock(mutex);
  std::string& hash = hashes[{cost.log_n, cost.r, cost.p}];
  if (hash.empty()) {
    hash = auth::HashPassword("no user has this password", cost).value_or(std::string());
  }
  return hash;
}

bool IsJsonContentType(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() != 16) return false;
  std::string lower;
  for (char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json";
}

Result<bool> PasswordMatches(const Services& services, std::string_view password,
                             const std::optional<std::string>& stored) {
  auto verified =
      auth::VerifyPassword(password, stored ? *stored : DummyHash(services.password_cost));
  if (!verified) {
    // A damaged hash must not lock the user out with a confusing error: an admin resets it.
    log::Error("checking a password: {}", verified.error().message);
    return false;
  }
  return stored.has_value() && *verified;
}

Result<store::User> CheckPassword(const Services& services, const std::string& username,
                                  const std::string& password) {
  auto user = services.users.FindByName(username);
  if (!user && user.error().code != ErrorCode::kNotFound) return Unexpected(user.error());
  std::optional<std::string> stored;
  if (user) stored = TRY(services.users.PasswordHash(user->id));
  bool matches = TRY(PasswordMatches(services, password, stored));
  if (!user || !matches) {
    return Unexpected(ErrorCode::kUnauthenticated, std::string(kWrongCredentials));
  }
  return std::move(*user);
}

Result<store::User> CheckToken(const Services& services, const std::string& secret) {
  auth::Principal principal = TRY(auth::Authenticator(services.tokens).AuthenticateToken(secret));
  return std::move(principal.user);
}

Json SessionBody(const Services& services, const store::User& user, const store::Session& session) {
  auto stored = services.users.PasswordHash(user.id);
  return {{"user", UserView(user)},
          {"csrf_token", session.csrf_token},
          {"expires_at", TimeView(session.expires_at)},
          {"has_password", stored && stored->has_value()}};
}

void Record(const Services& services, const store::User& user, events::Event event) {
  if (services.events == nullptr) return;
  event.actor_id = user.id;
  event.actor = user.name;
  services.events->Record(std::move(event));
}

Result<const store::Session*> CurrentSession(const RouteContext& context) {
  if (!context.principal->FromSession()) {
    return Unexpected(ErrorCode::kUnauthenticated,
                      "not signed in: this request carries an API token, not a session cookie");
  }
  return &*context.principal->session;
}

Result<http::Response> SignIn(Services& services, const http::Request& request) {
  if (!IsJsonContentType(request.Header("content-type"))) {
    http::Response response =
        ErrorResponse(Error{ErrorCode::kInvalidArgument,
                            "send the credentials as JSON (Content-Type: application/json)"});
    response.status = 415;
    return response;
  }
  TRY(CheckOrigin(request));
  Json body = TRY(ParseBody(request));
  TRY(RejectUnknownFields(body, {"username", "password", "token"}));
  auto username = TRY(OptionalString(body, "username"));
  auto password = TRY(OptionalString(body, "password"));
  auto token = TRY(OptionalString(body, "token"));
  if (token ? (username || password) : (!username || !password)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "send 'username' and 'password', or 'token' alone");
  }

  std::string address = auth::ClientAddress(request.remote, request.Header("x-forwarded-for"));
  std::string throttled_name = token ? std::string() : *username;
  if (services.sign_in_throttle != nullptr) {
    if (auto wait = services.sign_in_throttle->RetryAfter(throttled_name, address)) {
      http::Response response = ErrorResponse(
          Error{ErrorCode::kUnavailable,
                fmt::format("too many failed sign-ins: try again in {} seconds", *wait)});
      response.status = 429;
      response.headers.emplace_back("Retry-After", std::to_string(*wait));
      return response;
    }
  }
  auto user = token ? CheckToken(services, *token) : CheckPassword(services, *username, *password);
  if (!user) {
    if (user.error().code == ErrorCode::kUnauthenticated && services.sign_in_throttle != nullptr) {
      services.sign_in_throttle->RecordFailure(throttled_name, address);
    }
    return Unexpected(user.error());
  }
  if (services.sign_in_throttle != nullptr && !token) {
    services.sign_in_throttle->RecordSuccess(*username, address);
  }

  auto started =
      TRY(auth::StartSession(*services.sessions, user->id, services.session_lifetime,
                             services.clock.NowUnix(), {address, request.Header("user-agent")}));
  Record(services, *user,
         events::AboutInstallation(
             events::kUserSignedIn, fmt::format("{} signed in to the dashboard", user->name),
             {{"method", token ? "token" : "password"}, {"remote", address}}));
  http::Response response = JsonResponse(201, SessionBody(services, *user, started.session));
  response.headers.emplace_back(
      "Set-Cookie", SessionCookie(request, started.secret, services.session_lifetime.count()));
  return response;
}

}  // namespace

void AddSessionRoutes(Router& router, Services& services) {
  router.Add("POST", "/api/v1/sessions", Access::kPublic,
             [&services](const RouteContext& context) -> Result<http::Response> {
               return SignIn(services, context.request);
             });

  router.Add("GET", "/api/v1/sessions/current", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               const store::Session* session = TRY(CurrentSession(context));
               return JsonResponse(200, SessionBody(services, context.principal->user, *session));
             });

  router.Add("DELETE", "/api/v1/sessions/current", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               const store::Session* session = TRY(CurrentSession(context));
               Status deleted = services.sessions->Delete(session->id);
               if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
                 return Unexpected(deleted.error());
               }
               Audit(services, context,
                     events::AboutInstallation(events::kUserSignedOut,
                                               fmt::format("{} signed out of the dashboard",
                                                           context.principal->user.name)));
               http::Response response{.status = 204};
               response.headers.emplace_back("Set-Cookie", SessionCookie(context.request, "", 0));
               return response;
             });
}

}  // namespace yard::api
