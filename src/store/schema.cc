// Stackyard's schema, as numbered migrations. docs/state.md describes every table; keep the
// two in step. Timestamps are Unix seconds (UTC).

#include <array>

#include "store/migrations.h"

namespace yard::store {
namespace {

constexpr std::string_view kUsersAndCredentials = R"sql(
CREATE TABLE users (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  created_at  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the secret; the secret is never stored
  prefix        TEXT NOT NULL,          -- first characters of the secret, to recognise it
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  expires_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE ssh_keys (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  key_type     TEXT NOT NULL,           -- ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ...
  public_key   TEXT NOT NULL,           -- base64 blob, as in authorized_keys
  fingerprint  TEXT NOT NULL UNIQUE,    -- SHA256:..., as OpenSSH prints it
  bits         INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX ssh_keys_user ON ssh_keys(user_id);
)sql";

constexpr std::string_view kProjects = R"sql(
CREATE TABLE projects (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  source_kind    TEXT NOT NULL CHECK (source_kind IN ('remote', 'local', 'hosted')),
  source_url     TEXT NOT NULL DEFAULT '',   -- URL or path mirrored from; '' when hosted
  repo_path      TEXT NOT NULL,              -- the bare repository under the data dir
  created_at     INTEGER NOT NULL,
  created_by     INTEGER NOT NULL REFERENCES users(id),
  refreshed_at   INTEGER,
  refresh_error  TEXT NOT NULL DEFAULT ''    -- why the last refresh failed; '' if it did not
);

CREATE TABLE project_members (
  project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  added_at    INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members(user_id);
)sql";

constexpr std::string_view kDeployments = R"sql(
CREATE TABLE deployments (
  id              INTEGER PRIMARY KEY,
  -- No cascade: a project with deployments cannot be deleted (ProjectService refuses first).
  project_id      INTEGER NOT NULL REFERENCES projects(id),
  name            TEXT NOT NULL,
  stage           TEXT NOT NULL,             -- a stage id of the manifest
  branch          TEXT NOT NULL,
  params          TEXT NOT NULL DEFAULT '{}', -- JSON object: param id -> value
  env             TEXT NOT NULL DEFAULT '{}', -- JSON object: variable -> value, for components
  cpu_millis      INTEGER NOT NULL DEFAULT 0, -- CPU limit per container in 1/1000 CPU; 0: none
  memory_bytes    INTEGER NOT NULL DEFAULT 0, -- memory limit per container; 0: none
  desired         TEXT NOT NULL CHECK (desired IN ('running', 'stopped', 'deleted')),
  target_commit   TEXT NOT NULL DEFAULT '',   -- the commit to run; '' until resolved
  release_commit  TEXT NOT NULL DEFAULT '',   -- the commit whose images run now; '' before
  release_images  TEXT NOT NULL DEFAULT '{}', -- JSON object: service id -> image reference
  generations     TEXT NOT NULL DEFAULT '{}', -- JSON object: service id -> restart generation
  build_nonce     INTEGER NOT NULL DEFAULT 0, -- bumped by a rebuild request
  release_nonce   INTEGER NOT NULL DEFAULT 0, -- the build_nonce the release was built for
  version         INTEGER NOT NULL DEFAULT 1, -- bumped by every change a user makes
  phase           TEXT NOT NULL DEFAULT 'creating',
  reason          TEXT NOT NULL DEFAULT '',   -- why the phase is what it is, in plain words
  created_at      INTEGER NOT NULL,
  created_by      INTEGER NOT NULL REFERENCES users(id),
  updated_at      INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

-- Values drawn for ${generate:...} (passwords and the like): kept for the deployment's life.
CREATE TABLE deployment_values (
  deployment_id  INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  key            TEXT NOT NULL,               -- SERVICE/WHERE/VARIABLE#N (see env_resolver.h)
  value          TEXT NOT NULL,
  PRIMARY KEY (deployment_id, key)
);

CREATE TABLE builds (
  id             INTEGER PRIMARY KEY,
  deployment_id  INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  commit_id      TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
  error          TEXT NOT NULL DEFAULT '',
  images         TEXT NOT NULL DEFAULT '{}',  -- JSON object: service id -> image reference
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER
);
CREATE INDEX builds_deployment ON builds(deployment_id);
)sql";

// Hostnames users add to a deployment's endpoints, besides the generated ones: the edge routes
// them and obtains their certificates. A hostname serves one endpoint in the installation.
constexpr std::string_view kDomains = R"sql(
CREATE TABLE domains (
  id             INTEGER PRIMARY KEY,
  deployment_id  INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  endpoint       TEXT NOT NULL,               -- an endpoint id of the deployment's stack
  hostname       TEXT NOT NULL UNIQUE,        -- lowercase, without a trailing dot
  created_at     INTEGER NOT NULL
);
CREATE INDEX domains_deployment ON domains(deployment_id);
)sql";

// The SSH gateway: keys record their last use, projects protect branches from force-pushes
// and deletions, and pushes over SSH are recorded (the next features act on them).
constexpr std::string_view kSshGateway = R"sql(
ALTER TABLE ssh_keys ADD COLUMN last_used_at INTEGER;
ALTER TABLE projects ADD COLUMN protected_branches TEXT NOT NULL DEFAULT '[]'; -- JSON: names or globs
ALTER TABLE projects ADD COLUMN deny_force_push INTEGER NOT NULL DEFAULT 1;    -- on protected branches
ALTER TABLE projects ADD COLUMN deny_delete INTEGER NOT NULL DEFAULT 1;        -- on protected branches
CREATE TABLE push_events (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  ref         TEXT NOT NULL,             -- refs/heads/main
  old_commit  TEXT NOT NULL DEFAULT '',  -- '' when created
  new_commit  TEXT NOT NULL DEFAULT '',  -- '' when deleted
  forced      INTEGER NOT NULL DEFAULT 0,
  pushed_at   INTEGER NOT NULL
);
CREATE INDEX push_events_project ON push_events(project_id, id);
)sql";

// CI/CD: deployments follow their branch (or not), builds become durable queued jobs, each
// deployment keeps its releases for rollback and promotion, and projects receive webhooks.
constexpr std::string_view kContinuousDelivery = R"sql(
ALTER TABLE deployments ADD COLUMN auto_deploy INTEGER NOT NULL DEFAULT 1;  -- pushes deploy
-- The branch head this deployment last took from its branch: a push moves the head away from
-- it, and a rollback leaves it alone (so the rollback holds until the next push).
ALTER TABLE deployments ADD COLUMN followed_commit TEXT NOT NULL DEFAULT '';
UPDATE deployments SET followed_commit = target_commit;

CREATE TABLE builds_v6 (
  id             INTEGER PRIMARY KEY,
  deployment_id  INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  commit_id      TEXT NOT NULL,
  nonce          INTEGER NOT NULL DEFAULT 0,   -- the deployment's build_nonce it was asked for
  state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
                                                'cancelled', 'interrupted')),
  reason         TEXT NOT NULL DEFAULT '',     -- why it was queued, in plain words
  error          TEXT NOT NULL DEFAULT '',     -- why it failed or was cancelled
  images         TEXT NOT NULL DEFAULT '{}',   -- JSON object: service id -> image reference
  queued_at      INTEGER NOT NULL,
  started_at     INTEGER,
  finished_at    INTEGER,
  requested_by   INTEGER REFERENCES users(id) ON DELETE SET NULL  -- null: the platform
);
INSERT INTO builds_v6 (id, deployment_id, commit_id, state, error, images, queued_at,
                       started_at, finished_at)
  SELECT id, deployment_id, commit_id,
         CASE state WHEN 'running' THEN 'interrupted' ELSE state END,
         error, images, started_at, started_at, finished_at
  FROM builds;
DROP TABLE builds;
ALTER TABLE builds_v6 RENAME TO builds;
CREATE INDEX builds_deployment ON builds(deployment_id, id);
CREATE INDEX builds_state ON builds(state, id);

-- What a deployment ran, newest last: a build's images, or an earlier release brought back
-- (rollback) or another deployment's release (promotion).
CREATE TABLE releases (
  id             INTEGER PRIMARY KEY,
  deployment_id  INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  number         INTEGER NOT NULL,             -- 1, 2, ... per deployment
  commit_id      TEXT NOT NULL,
  images         TEXT NOT NULL DEFAULT '{}',   -- JSON object: service id -> image reference
  params         TEXT NOT NULL DEFAULT '{}',   -- the deployment's params at the time
  env            TEXT NOT NULL DEFAULT '{}',   -- its env overrides at the time
  kind           TEXT NOT NULL CHECK (kind IN ('build', 'rollback', 'promotion')),
  build_id       INTEGER,                      -- the build that made the images, if any
  source         TEXT NOT NULL DEFAULT '',     -- rollback: "release 3"; promotion: "staging release 7"
  created_at     INTEGER NOT NULL,
  created_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- null: the platform
  UNIQUE (deployment_id, number)
);

-- Webhooks from GitHub, GitLab, Gitea and Forgejo: a secret per project ('' = off), and the
-- deliveries already acted on, so that a replayed delivery does nothing.
ALTER TABLE projects ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
CREATE TABLE webhook_deliveries (
  project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  delivery     TEXT NOT NULL,                  -- the sender's delivery id
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (project_id, delivery)
);
)sql";

// Preview deployments (deployments/previews.h): a project may ask for a deployment per branch
// matching a pattern, made at the branch's first push and removed with the branch or when it
// expires. preview_branches holds the heads of matching branches already seen, so that a
// branch that merely exists when previews are turned on gets none until it is pushed to.
constexpr std::string_view kPreviews = R"sql(
ALTER TABLE projects ADD COLUMN preview_pattern TEXT NOT NULL DEFAULT '';  -- a glob; '' = off
ALTER TABLE projects ADD COLUMN preview_stage TEXT NOT NULL DEFAULT '';    -- the stage they run
ALTER TABLE projects ADD COLUMN preview_ttl_seconds INTEGER NOT NULL DEFAULT 604800;  -- after a push
ALTER TABLE deployments ADD COLUMN preview_branch TEXT;  -- the branch a preview is for; NULL: none
ALTER TABLE deployments ADD COLUMN expires_at INTEGER;   -- deleted after this; NULL: never
CREATE INDEX deployments_expiry ON deployments(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE preview_branches (
  project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  branch      TEXT NOT NULL,
  head        TEXT NOT NULL,                  -- the head last seen: another one is a push
  PRIMARY KEY (project_id, branch)
);
)sql";

// Operating deployments (issue 8): the event log, runs of actions and one-off commands, a
// running deployment's automatic stop, and deleted deployments kept in the trash.
constexpr std::string_view kOperations = R"sql(
-- What happened, who did it and when: actions, status changes, pushes, builds, rollouts.
-- Rows outlive their deployment (ids only, no foreign keys), so the history of a deleted
-- deployment can still be read; names are copied for that reason.
CREATE TABLE events (
  id             INTEGER PRIMARY KEY,          -- increasing: a cursor for following
  at             INTEGER NOT NULL,             -- Unix milliseconds
  project_id     INTEGER,                      -- NULL: about the installation
  project        TEXT NOT NULL DEFAULT '',
  deployment_id  INTEGER,                      -- NULL: about the project or installation
  deployment     TEXT NOT NULL DEFAULT '',
  actor_id       INTEGER,                      -- the user; NULL: the platform itself
  actor          TEXT NOT NULL DEFAULT '',     -- the user's name then; '' for the platform
  kind           TEXT NOT NULL,                -- e.g. deployment.stopped, build.failed
  message        TEXT NOT NULL,                -- one line in plain words
  data           TEXT NOT NULL DEFAULT '{}'    -- JSON object: details for scripts
);
CREATE INDEX events_deployment ON events(deployment_id, id);
CREATE INDEX events_project ON events(project_id, id);

-- A named action of the manifest or a one-off command run in a deployment's service. The
-- output is kept in the log store (logs/), under the run's id.
CREATE TABLE action_runs (
  id             INTEGER PRIMARY KEY,
  deployment_id  INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  service        TEXT NOT NULL,
  action         TEXT NOT NULL DEFAULT '',     -- the manifest's action id; '' for a command
  command        TEXT NOT NULL,                -- JSON array: argv
  state          TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'interrupted')),
  exit_code      INTEGER,
  error          TEXT NOT NULL DEFAULT '',
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  started_by     INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX action_runs_deployment ON action_runs(deployment_id, id);

-- A running deployment stops by itself at this time (Unix seconds): enabling for a while,
-- and development stages' auto_stop. NULL: it keeps running.
ALTER TABLE deployments ADD COLUMN stop_at INTEGER;
CREATE INDEX deployments_stop_at ON deployments(stop_at) WHERE stop_at IS NOT NULL;

-- Deleted deployments whose volumes wait in DATA_DIR/trash until purge_at: `snapshot` holds
-- what restoring needs (the deployment's row, generated values, custom domains) as JSON.
CREATE TABLE trash (
  id             INTEGER PRIMARY KEY,
  project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,                -- the deployment's name
  stage          TEXT NOT NULL,
  deployment_id  INTEGER NOT NULL,             -- the id it had
  path           TEXT NOT NULL,                -- its volumes, under DATA_DIR/trash
  snapshot       TEXT NOT NULL,
  deleted_at     INTEGER NOT NULL,
  deleted_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
  purge_at       INTEGER NOT NULL
);
CREATE INDEX trash_project ON trash(project_id, name);

-- Deployment ids are never given twice: logs, events, trash entries and engine labels name a
-- deployment by its id, and SQLite would give a new row the id of the newest deleted one.
-- DeploymentStore::Create takes `last + 1`; the trigger keeps `last` up to date.
CREATE TABLE id_sequences (
  name  TEXT PRIMARY KEY,                      -- a table
  last  INTEGER NOT NULL                       -- the largest id it ever had
);
INSERT INTO id_sequences VALUES ('deployments', (SELECT COALESCE(MAX(id), 0) FROM deployments));
CREATE TRIGGER deployments_ids_never_reused AFTER INSERT ON deployments BEGIN
  UPDATE id_sequences SET last = MAX(last, NEW.id) WHERE name = 'deployments';
END;
)sql";

// Migration 9: the web dashboard. Users may have a password (for signing in to the dashboard;
// tokens stay the way for scripts), a signed-in browser has a session, and the server keeps
// samples of each component's CPU, memory and disk use for the dashboard's graphs.
constexpr const char* kDashboard = R"sql(
ALTER TABLE users ADD COLUMN password_hash TEXT;   -- "$scrypt$..." (auth/password.h); NULL: none

CREATE TABLE sessions (
  id             INTEGER PRIMARY KEY,
  user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_hash    TEXT NOT NULL UNIQUE,           -- SHA-256 of the cookie's secret, hex
  csrf_token     TEXT NOT NULL,                  -- sent back in X-CSRF-Token by the page
  created_at     INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  remote         TEXT NOT NULL DEFAULT '',       -- the address it signed in from
  user_agent     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE resource_samples (
  deployment_id  INTEGER NOT NULL,               -- no foreign key: pruned by age instead
  component      TEXT NOT NULL,
  at             INTEGER NOT NULL,               -- unix seconds
  cpu_percent    REAL,                           -- of one core; NULL: not running
  memory_bytes   INTEGER,
  disk_bytes     INTEGER
);
CREATE INDEX resource_samples_deployment ON resource_samples(deployment_id, at);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "users and credentials", kUsersAndCredentials},
    Migration{2, "projects", kProjects},
    Migration{3, "deployments", kDeployments},
    Migration{4, "custom domains", kDomains},
    Migration{5, "ssh gateway", kSshGateway},
    Migration{6, "continuous delivery", kContinuousDelivery},
    Migration{7, "preview deployments", kPreviews},
    Migration{8, "operating deployments", kOperations},
    Migration{9, "web dashboard", kDashboard},
};

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

}  // namespace yard::store
