#pragma once

// How stored objects look in API responses. One function per type, so that every route shows
// an object the same way.

#include "api/json.h"
#include "store/api_tokens.h"
#include "store/projects.h"
#include "store/push_events.h"
#include "store/ssh_keys.h"
#include "store/users.h"

namespace yard::api {

Json UserView(const store::User& user);
/// Never includes the secret or its hash.
Json TokenView(const store::ApiToken& token);
Json KeyView(const store::SshKey& key);
/// A project member: {"user", "role", "added_at"}.
Json MemberView(const store::Member& member);
/// One ref a push changed; null commits for a created or deleted ref.
Json PushEventView(const store::PushEvent& event);

/// Unix seconds as an RFC 3339 string, or null.
Json TimeView(std::optional<int64_t> unix_seconds);

}  // namespace yard::api
