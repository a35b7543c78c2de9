// Passwords for signing in to the dashboard: users change their own, admins set anyone's.
// docs/api.md, "Users".

#include <fmt/core.h>

#include <optional>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/views.h"
#include "auth/password.h"
#include "base/log.h"

namespace yard::api {
namespace {

// Stores the new password and ends the user's other sessions (a password is changed because
// it may be known to someone else, who may be signed in). The session making the change, if
// it is the user's own, stays signed in.
Result<http::Response> SetPassword(Services& services, const RouteContext& context,
                                   const store::User& user, const std::string& password) {
  std::string hash = TRY(auth::HashPassword(password, services.password_cost));
  TRY(services.users.SetPasswordHash(user.id, hash));
  int64_t ended = 0;
  if (services.sessions != nullptr) {
    std::optional<int64_t> keep;
    if (context.principal->FromSession() && context.principal->user.id == user.id) {
      keep = context.principal->session->id;
    }
    ended = TRY(services.sessions->DeleteForUser(user.id, keep));
  }
  bool own = context.principal->user.id == user.id;
  Audit(services, context,
        events::AboutInstallation(
            events::kUserPasswordChanged,
            own ? fmt::format("{} changed their password", user.name)
                : fmt::format("{} set the password of {}", context.principal->user.name, user.name),
            {{"user", user.name}}));
  return JsonResponse(200, {{"user", UserView(user)}, {"sessions_ended", ended}});
}

}  // namespace

void AddPasswordRoutes(Router& router, Services& services) {
  // Registered before /users/{user}/password so that "me" is not taken for a user's name.
  router.Add("PUT", "/api/v1/users/me/password", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"current_password", "password"}));
               std::string password = TRY(RequiredString(body, "password"));
               auto current = TRY(OptionalString(body, "current_password"));
               TRY(auth::ValidatePassword(password));
               const store::User& user = context.principal->user;
               auto stored = TRY(services.users.PasswordHash(user.id));
               if (stored) {
                 // A stolen session must not be enough to take the account over.
                 if (!current) {
                   return Unexpected(ErrorCode::kInvalidArgument,
                                     "'current_password' is required to change a password");
                 }
                 auto* throttle = services.sign_in_throttle;
                 if (throttle != nullptr) {
                   if (auto wait = throttle->RetryAfter(user.name, "")) {
                     http::Response response = ErrorResponse(Error{
                         ErrorCode::kUnavailable,
                         fmt::format("too many wrong passwords: try again in {} seconds", *wait)});
                     response.status = 429;
                     response.headers.emplace_back("Retry-After", std::to_string(*wait));
                     return response;
                   }
                 }
                 auto matches = auth::VerifyPassword(*current, *stored);
                 if (!matches)
                   log::Error("checking {}'s password: {}", user.name, matches.error().message);
                 if (!matches || !*matches) {
                   if (throttle != nullptr) throttle->RecordFailure(user.name, "");
                   return Unexpected(ErrorCode::kPermissionDenied, "the current password is wrong");
                 }
               }
               return SetPassword(services, context, user, password);
             });

  router.Add("PUT", "/api/v1/users/{user}/password", Access::kAdmin,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"password"}));
               std::string password = TRY(RequiredString(body, "password"));
               TRY(auth::ValidatePassword(password));
               store::User user = TRY(services.users.FindByName(context.Param("user")));
               return SetPassword(services, context, user, password);
             });
}

}  // namespace yard::api
