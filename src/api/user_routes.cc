#include <fmt/core.h>

#include "api/api.h"
#include "api/json.h"
#include "api/views.h"
#include "auth/credentials.h"
#include "auth/password.h"
#include "base/names.h"

namespace yard::api {

void AddUserRoutes(Router& router, Services& services) {
  router.Add("GET", "/api/v1/users/me", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json view = UserView(context.principal->user);
               // Whether a password change must give the current one (the dashboard asks).
               view["has_password"] =
                   TRY(services.users.PasswordHash(context.principal->user.id)).has_value();
               return JsonResponse(200, view);
             });

  router.Add("GET", "/api/v1/users", Access::kAdmin,
             [&services](const RouteContext&) -> Result<http::Response> {
               Json users = Json::array();
               for (const auto& user : TRY(services.users.List())) users.push_back(UserView(user));
               return JsonResponse(200, {{"users", users}});
             });

  // Creates a user and its first API token, in one transaction: a user nobody can log in as
  // would be useless.
  router.Add("POST", "/api/v1/users", Access::kAdmin,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"name", "role", "password"}));
               std::string name = TRY(RequiredString(body, "name"));
               TRY(ValidateName(name, "user name"));
               auto role_name = TRY(OptionalString(body, "role"));
               store::Role role = TRY(store::ParseRole(role_name.value_or("user")));
               // For the dashboard; hashed before the transaction (it takes a while).
               auto password = TRY(OptionalString(body, "password"));
               std::optional<std::string> password_hash;
               if (password) {
                 password_hash = TRY(auth::HashPassword(*password, services.password_cost));
               }

               auto transaction = TRY(services.db.Begin());
               store::User user = TRY(services.users.Create(name, role));
               if (password_hash) TRY(services.users.SetPasswordHash(user.id, password_hash));
               auto issued = TRY(auth::IssueToken(services.tokens, user.id, "initial", std::nullopt));
               TRY(transaction.Commit());
               return JsonResponse(201, {{"user", UserView(user)},
                                         {"token", TokenView(issued.token)},
                                         {"secret", issued.secret}});
             });
}

}  // namespace yard::api
