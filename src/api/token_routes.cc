#include <charconv>

#include <fmt/core.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/views.h"
#include "auth/credentials.h"

namespace yard::api {
namespace {

constexpr int64_t kMaxExpiryDays = 3650;

Result<int64_t> ParseId(const std::string& text, std::string_view what) {
  int64_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("invalid {} id '{}'", what, text));
  }
  return id;
}

}  // namespace

void AddTokenRoutes(Router& router, Services& services) {
  router.Add("GET", "/api/v1/users/me/tokens", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json tokens = Json::array();
               for (const auto& token : TRY(services.tokens.ListForUser(context.principal->user.id))) {
                 Json view = TokenView(token);
                 view["current"] = token.id == context.principal->token.id;
                 tokens.push_back(std::move(view));
               }
               return JsonResponse(200, {{"tokens", tokens}});
             });

  router.Add("POST", "/api/v1/users/me/tokens", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"name", "expires_in_days"}));
               auto name = TRY(OptionalString(body, "name"));
               auto days = TRY(OptionalInt(body, "expires_in_days"));
               std::optional<int64_t> expires_at;
               if (days) {
                 if (*days < 1 || *days > kMaxExpiryDays) {
                   return Unexpected(ErrorCode::kInvalidArgument,
                                     fmt::format("'expires_in_days' must be between 1 and {}",
                                                 kMaxExpiryDays));
                 }
                 expires_at = services.clock.NowUnix() + *days * 86400;
               }
               std::string label = name.value_or(fmt::format("token-{}", services.clock.NowUnix()));
               auto issued = TRY(auth::IssueToken(services.tokens, context.principal->user.id,
                                                  label, expires_at));
               Audit(services, context,
                     events::AboutInstallation(events::kTokenCreated,
                                               fmt::format("API token '{}' created", label),
                                               {{"token", issued.token.id}, {"name", label}}));
               return JsonResponse(201, {{"token", TokenView(issued.token)},
                                         {"secret", issued.secret}});
             });

  router.Add("DELETE", "/api/v1/users/me/tokens/{id}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               int64_t id = TRY(ParseId(context.Param("id"), "token"));
               TRY(services.tokens.Revoke(context.principal->user.id, id));
               Audit(services, context,
                     events::AboutInstallation(events::kTokenRevoked,
                                               fmt::format("API token {} revoked", id),
                                               {{"token", id}}));
               return http::Response{.status = 204};
             });
}

}  // namespace yard::api
