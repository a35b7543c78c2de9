#include "api/views.h"

#include "base/clock.h"

namespace yard::api {

Json TimeView(std::optional<int64_t> unix_seconds) {
  if (!unix_seconds) return nullptr;
  return FormatTimestamp(*unix_seconds);
}

Json UserView(const store::User& user) {
  return Json{{"id", user.id},
              {"name", user.name},
              {"role", store::RoleName(user.role)},
              {"created_at", TimeView(user.created_at)}};
}

Json TokenView(const store::ApiToken& token) {
  return Json{{"id", token.id},
              {"name", token.name},
              {"prefix", token.prefix},
              {"created_at", TimeView(token.created_at)},
              {"last_used_at", TimeView(token.last_used_at)},
              {"expires_at", TimeView(token.expires_at)}};
}

Json KeyView(const store::SshKey& key) {
  return Json{{"id", key.id},
              {"name", key.name},
              {"type", key.key_type},
              {"bits", key.bits},
              {"fingerprint", key.fingerprint},
              {"public_key", key.key_type + " " + key.public_key},
              {"created_at", TimeView(key.created_at)},
              {"last_used_at", TimeView(key.last_used_at)}};
}

Json MemberView(const store::Member& member) {
  return Json{{"user", member.user_name},
              {"role", store::MemberRoleName(member.role)},
              {"added_at", TimeView(member.added_at)}};
}

Json PushEventView(const store::PushEvent& event) {
  auto commit = [](const std::string& id) { return id.empty() ? Json(nullptr) : Json(id); };
  return Json{{"id", event.id},
              {"ref", event.ref},
              {"old_commit", commit(event.old_commit)},
              {"new_commit", commit(event.new_commit)},
              {"forced", event.forced},
              {"user", event.user_name},
              {"pushed_at", TimeView(event.pushed_at)}};
}

}  // namespace yard::api
