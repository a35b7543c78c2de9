#include <fmt/core.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/json.h"
#include "api/views.h"
#include "auth/credentials.h"
#include "auth/ssh_public_key.h"

namespace yard::api {

void AddKeyRoutes(Router& router, Services& services) {
  router.Add("GET", "/api/v1/users/me/keys", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json keys = Json::array();
               for (const auto& key : TRY(services.keys.ListForUser(context.principal->user.id))) {
                 keys.push_back(KeyView(key));
               }
               return JsonResponse(200, {{"keys", keys}});
             });

  router.Add("POST", "/api/v1/users/me/keys", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"public_key", "name"}));
               std::string text = TRY(RequiredString(body, "public_key"));
               auto parsed = TRY(auth::ParseSshPublicKey(text));
               auto name = TRY(OptionalString(body, "name"));
               std::string label;
               if (name) {
                 TRY(auth::ValidateLabel(*name, "key name"));
                 label = *name;
               } else {
                 // The comment (usually user@host) is the natural name of a key, when it fits.
                 bool usable = auth::ValidateLabel(parsed.comment, "key name").has_value();
                 label = usable ? parsed.comment : parsed.type;
               }
               store::SshKey key = TRY(services.keys.Add(store::SshKey{
                   .user_id = context.principal->user.id,
                   .name = label,
                   .key_type = parsed.type,
                   .public_key = parsed.base64,
                   .fingerprint = parsed.fingerprint,
                   .bits = parsed.bits,
               }));
               Audit(services, context,
                     events::AboutInstallation(events::kKeyAdded,
                                               fmt::format("SSH key '{}' ({}) added", key.name,
                                                           key.fingerprint),
                                               {{"name", key.name},
                                                {"fingerprint", key.fingerprint}}));
               return JsonResponse(201, {{"key", KeyView(key)}});
             });

  // {key} is the key's id or its fingerprint ("SHA256:...", percent-encoded).
  router.Add("DELETE", "/api/v1/users/me/keys/{key}", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               TRY(services.keys.Remove(context.principal->user.id, context.Param("key")));
               Audit(services, context,
                     events::AboutInstallation(events::kKeyRemoved,
                                               "SSH key " + context.Param("key") + " removed",
                                               {{"key", context.Param("key")}}));
               return http::Response{.status = 204};
             });
}

}  // namespace yard::api
