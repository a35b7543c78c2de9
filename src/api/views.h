#pragma once

// How stored objects look in API responses. One function per type, so that every route shows
// an object the same way.

#include <optional>
#include <string>

#include "api/api.h"
#include "api/json.h"
#include "controller/status.h"
#include "store/api_tokens.h"
#include "store/builds.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/push_events.h"
#include "store/releases.h"
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

/// A deployment with its status: the controller's last observation, or (nullopt: not observed
/// since the server started) the phase and reason last stored.
Json DeploymentView(const Services& services, const store::Deployment& d,
                    const std::optional<controller::DeploymentStatus>& status);
/// A build. `requested_by`: the user's name (nullopt: the platform, or a deleted user);
/// `queue_position`: its place in the installation's queue while queued (1: next), else 0.
Json BuildView(const store::BuildRecord& build, const std::optional<std::string>& requested_by,
               int queue_position);
/// A release; `current` marks the one the deployment runs.
Json ReleaseView(const store::Release& release, bool current);

/// Unix seconds as an RFC 3339 string, or null.
Json TimeView(std::optional<int64_t> unix_seconds);

}  // namespace yard::api
