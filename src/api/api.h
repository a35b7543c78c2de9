#pragma once

// The REST API under /api/v1: which routes exist and what they need. docs/api.md documents
// every route; keep the two in step.

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "api/router.h"
#include "base/clock.h"
#include "deployments/actions.h"
#include "deployments/clone.h"
#include "deployments/configuration.h"
#include "deployments/delivery.h"
#include "deployments/deployment_service.h"
#include "deployments/previews.h"
#include "deployments/auto_stop.h"
#include "deployments/trash.h"
#include "deployments/metrics.h"
#include "deployments/status_tree.h"
#include "events/recorder.h"
#include "events/sink.h"
#include "logs/store.h"
#include "projects/project_service.h"
#include "auth/password.h"
#include "auth/sign_in_throttle.h"
#include "store/api_tokens.h"
#include "store/sessions.h"
#include "store/resource_samples.h"
#include "store/ssh_keys.h"
#include "store/users.h"

namespace yard::api {

/// What the handlers work with. Owned by the server; outlives the router.
/// The SSH gateway as clients reach it.
struct SshEndpoint {
  std::string host;  // advertised: what clients put after the @
  int port = 0;
  std::vector<std::string> host_keys;  // "ssh-ed25519 AAAA..."
};

struct Services {
  store::Database& db;
  store::UserStore& users;
  store::ApiTokenStore& tokens;
  store::SshKeyStore& keys;
  projects::ProjectService& projects;
  const Clock& clock;
  deployments::DeploymentService* deployments = nullptr;
  /// Builds, releases, rollback, promotion, branch following (deployments/delivery.h).
  deployments::Delivery* delivery = nullptr;
  store::DeploymentStore* deployment_store = nullptr;
  /// Preview deployments' settings (deployments/previews.h); null: PATCH refuses them.
  deployments::Previews* previews = nullptr;
  std::string build_logs_dir;
  /// Env and params (deployments/configuration.h); null: no configuration routes.
  deployments::Configuration* configuration = nullptr;
  /// Deployments' kept logs (logs/store.h); null: no log routes.
  logs::Store* logs = nullptr;
  /// Where routes report what users do, with the calling user (events/sink.h); null:
  /// nowhere (tests that do not look at events).
  events::Sink* events = nullptr;
  /// The event log that GET /api/v1/events reads (events/recorder.h); null: no event routes.
  events::Recorder* event_log = nullptr;
  /// Named actions and one-off commands (deployments/actions.h); null: no action routes.
  deployments::Actions* actions = nullptr;
  /// Deployments' status trees (deployments/status_tree.h); null: no status routes, and no
  /// GET /metrics.
  deployments::StatusTrees* status_trees = nullptr;
  /// The server's own figures for GET /metrics (deployments/metrics.h); null: no /metrics.
  const deployments::ServerMetricsSources* metrics = nullptr;
  /// Deleted deployments kept for restoring (deployments/trash.h); null: no trash routes.
  deployments::Trash* trash = nullptr;
  /// Enabling, disabling and the automatic stop (deployments/auto_stop.h); null: no enable
  /// and disable routes, start and stop set no stop time, and views show no stage kind.
  deployments::AutoStop* auto_stop = nullptr;
  /// Clones with data (deployments/clone.h); null: no clone routes.
  deployments::Cloner* cloner = nullptr;
  /// Each service's sampled CPU, memory and disk (deployments/resource_sampler.h); null: no
  /// resources route. The interval is how often the server samples (the 1h range's step).
  store::ResourceSampleStore* resource_samples = nullptr;
  std::chrono::seconds resource_sample_interval{30};
  /// Null when the gateway is off.
  const SshEndpoint* ssh = nullptr;
  /// Schedules a fetch of a mirrored project's source, and the deploys that new commits on
  /// followed branches lead to; returns at once (a webhook's sender waits for no fetch).
  /// Empty in tests that do not need it.
  std::function<void(int64_t project_id)> request_refresh;
  /// The dashboard's sign-in sessions (store/sessions.h) and the throttle on failed sign-ins;
  /// null: no session routes (passwords can still be set).
  store::SessionStore* sessions = nullptr;
  auth::SignInThrottle* sign_in_throttle = nullptr;
  /// How long a session lasts from sign-in (yard server --session-lifetime).
  std::chrono::seconds session_lifetime{7 * 24 * 3600};
  /// scrypt's cost for new password hashes (tests lower it; auth/password.h).
  auth::ScryptParams password_cost;
};

/// GET /healthz and GET /api/v1/version.
void AddSystemRoutes(Router& router);
/// /api/v1/users...: the current user, and user administration.
void AddUserRoutes(Router& router, Services& services);
/// /api/v1/users/me/tokens...
void AddTokenRoutes(Router& router, Services& services);
/// /api/v1/users/me/keys...
void AddKeyRoutes(Router& router, Services& services);
/// /api/v1/sessions...: the dashboard's sign-in and sign-out (session_routes.cc).
void AddSessionRoutes(Router& router, Services& services);
/// PUT /api/v1/users/me/password and /api/v1/users/{user}/password (password_routes.cc).
void AddPasswordRoutes(Router& router, Services& services);

/// /api/v1/projects...
void AddProjectRoutes(Router& router, Services& services);

/// /api/v1/projects/{project}/deployments...
void AddDeploymentRoutes(Router& router, Services& services);
/// /api/v1/projects/{project}/deployments/{deployment}/domains...
void AddDomainRoutes(Router& router, Services& services);
/// /api/v1/projects/{project}/deployments/{deployment}: PATCH (branch, auto_deploy), builds
/// (list, show, log, cancel), releases, rollback, promote.
void AddDeliveryRoutes(Router& router, Services& services);

/// /api/v1/projects/{project}/deployments/{deployment}/env and /params: listing with origins,
/// overrides and params set and unset, secrets revealed to owners.
void AddConfigRoutes(Router& router, Services& services);
/// GET /api/v1/projects/{project}/deployments/{deployment}/logs: kept logs, read or followed.
void AddLogRoutes(Router& router, Services& services);
/// GET …/deployments/{deployment}/status (the status tree) and GET …/{project}/status.
void AddStatusRoutes(Router& router, Services& services);
/// GET /metrics (admin): Prometheus's text format.
void AddMetricsRoutes(Router& router, Services& services);
/// GET /api/v1/events and …/deployments/{deployment}/events: the event log, read or followed.
void AddEventRoutes(Router& router, Services& services);
/// /api/v1/projects/{project}/deployments/{deployment}/actions... and /exec: the manifest's
/// actions and one-off commands, run with their output streamed, and past runs.
void AddActionRoutes(Router& router, Services& services);
/// /api/v1/projects/{project}/trash...: deleted deployments, restored or purged.
void AddTrashRoutes(Router& router, Services& services);
/// POST …/deployments/{deployment}/enable and /disable.
void AddEnableRoutes(Router& router, Services& services);
/// POST and GET …/deployments/{deployment}/clone: clones with data, and their progress.
void AddCloneRoutes(Router& router, Services& services);
/// GET …/deployments/{deployment}/resources: each service's CPU, memory and disk history.
void AddResourceRoutes(Router& router, Services& services);
/// /api/v1/projects/{project}/webhook...: pushes from GitHub, GitLab, Gitea and Forgejo
/// (public, signed), and the owners' management of the secret.
void AddWebhookRoutes(Router& router, Services& services);

/// GET /api/v1/ssh: where the gateway is and its host keys.
void AddSshRoutes(Router& router, Services& services);
/// The "ssh" member of a deployment's view: its user names and command, or null.
nlohmann::json DeploymentSshView(const Services& services, const std::string& project,
                                 const std::string& deployment,
                                 const std::vector<std::string>& service_ids);

/// All of the above.
void AddAllRoutes(Router& router, Services& services);

}  // namespace yard::api
