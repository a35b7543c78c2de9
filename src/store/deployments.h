#pragma once

// The deployments and deployment_values tables: a deployment's desired state (what
// the user asked for) and the little the controller must remember across restarts (which
// release runs, restart generations, generated secrets). What actually runs is never
// stored: the controller reads it from the engine's labels.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

enum class Desired { kRunning, kStopped, kDeleted };
std::string_view DesiredName(Desired desired);
Result<Desired> ParseDesired(std::string_view name);

struct Deployment {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string project;  // the project's name (joined)
  std::string name;
  std::string stage;
  std::string branch;
  std::map<std::string, std::string> params;
  /// Env overrides: `NAME` for every component, `COMPONENT:NAME` for one (which wins). A
  /// value sealed by secrets/secret_box.h (`enc:v1:…`) is a secret; so may params be.
  std::map<std::string, std::string> env;
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  Desired desired = Desired::kRunning;
  std::string target_commit;
  std::string release_commit;
  std::map<std::string, std::string> release_images;  // service id -> image
  std::map<std::string, int64_t> generations;         // service id -> generation (default 1)
  int64_t build_nonce = 0;    // bumped by a rebuild request
  int64_t release_nonce = 0;  // the build_nonce the release was built for
  /// Bumped by every change a user makes: the controller reports the version it acted on,
  /// so a client can wait for *its* change to take effect.
  int64_t version = 1;
  std::string phase = "creating";
  std::string reason;
  int64_t created_at = 0;
  int64_t created_by = 0;
  int64_t updated_at = 0;
  /// A push to the branch deploys its new head (built stages: build and roll forward;
  /// development: bring it into the code volume). Off: only explicit rebuilds and
  /// promotions change what runs.
  bool auto_deploy = true;
  /// The branch head last taken from the branch. A push moves the head away from it; a
  /// rollback leaves it alone, so the rollback holds until the next push.
  std::string followed_commit;
  /// A preview deployment (deployments/previews.h): the branch it was made for, deleted with
  /// it. nullopt for every other deployment.
  std::optional<std::string> preview_branch;
  /// When the deployment is deleted (Unix seconds); nullopt: never.
  std::optional<int64_t> expires_at;
  /// When a running deployment stops by itself (Unix seconds; deployments/auto_stop.h);
  /// nullopt: it keeps running.
  std::optional<int64_t> stop_at;

  int64_t GenerationOf(const std::string& service) const;
};

/// Thread-safe (the Database serialises).
class DeploymentStore {
 public:
  DeploymentStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Inserts `deployment` (id, timestamps and project name are filled). kAlreadyExists when
  /// the project already has a deployment of that name (one being deleted included).
  Result<Deployment> Create(Deployment deployment);
  /// Inserts `deployment` again under the id it had before it was deleted (restoring it from
  /// the trash), so that what is kept by deployment id (logs, events, action output) is its
  /// own again. Ids are never given to another deployment (schema.cc, id_sequences).
  /// kAlreadyExists when the name is taken.
  Result<Deployment> Recreate(Deployment deployment);
  /// kNotFound when absent.
  Result<Deployment> Find(int64_t id);
  Result<Deployment> FindByName(int64_t project_id, const std::string& name);
  /// Every deployment of the project, by name.
  Result<std::vector<Deployment>> ListForProject(int64_t project_id);
  /// Every deployment of the installation, for the controller.
  Result<std::vector<Deployment>> ListAll();
  Result<int64_t> CountForProject(int64_t project_id);

  /// Desired-state changes (API). Each bumps updated_at.
  Status SetDesired(int64_t id, Desired desired);
  /// Adds one to the generation of each service in `services` (all listed services restart).
  Status BumpGenerations(int64_t id, const std::vector<std::string>& services);
  Status SetTargetCommit(int64_t id, const std::string& commit);
  /// A rebuild: build `commit` again even if it is the release's, and restart every service.
  Status RequestRebuild(int64_t id, const std::string& commit,
                        const std::vector<std::string>& services);

  /// Points the deployment at another branch, and at its head now.
  Status SetBranch(int64_t id, const std::string& branch, const std::string& head);
  Status SetAutoDeploy(int64_t id, bool auto_deploy);
  /// The CPU (thousandths) and memory limits of each container; 0: none.
  Status SetSize(int64_t id, int64_t cpu_millis, int64_t memory_bytes);
  /// A push moved `branch` to `head`: every deployment of the project that follows the branch
  /// (auto_deploy, not being deleted) and has not taken `head` yet now targets it. Returns
  /// those deployments (updated). Idempotent: a second call with the same head moves nothing.
  Result<std::vector<Deployment>> FollowBranch(int64_t project_id, const std::string& branch,
                                               const std::string& head);

  /// The project's preview deployments (preview_branch set), being deleted ones included.
  Result<std::vector<Deployment>> ListPreviews(int64_t project_id);
  /// Deployments not being deleted whose expires_at is `now` or earlier.
  Result<std::vector<Deployment>> ListExpired(int64_t now);
  /// Moves the expiry. Not a user change: version and updated_at stay.
  Status SetExpiry(int64_t id, std::optional<int64_t> expires_at);
  /// Sets or clears the automatic stop. Not a user change: version and updated_at stay.
  Status SetStopAt(int64_t id, std::optional<int64_t> stop_at);
  /// Deployments meant to run whose stop_at is `now` or earlier.
  Result<std::vector<Deployment>> ListDueToStop(int64_t now);

  /// Controller bookkeeping.
  Status SetRelease(int64_t id, const std::string& commit,
                    const std::map<std::string, std::string>& images, int64_t nonce);
  Status SetPhase(int64_t id, const std::string& phase, const std::string& reason);
  /// Removes the row and what cascades from it (values, builds, domains).
  Status Delete(int64_t id);

  /// Which of a deployment's maps SetConfigEntry changes.
  enum class ConfigMap { kParams, kEnv };
  /// Sets (`value`) or removes (nullopt) one entry of the deployment's params or env
  /// overrides, reading and writing the map in one transaction so that concurrent changes to
  /// other entries are kept. A user change (version and updated_at move).
  Status SetConfigEntry(int64_t id, ConfigMap map, const std::string& key,
                        const std::optional<std::string>& value);
  /// Replaces a value as it is stored (sealing it, secrets/): not a user change, nothing
  /// restarts. Each is applied only if the entry still holds `from`.
  Status ResealConfigEntry(int64_t id, ConfigMap map, const std::string& key,
                           const std::string& from, const std::string& to);
  Status ResealValue(int64_t id, const std::string& key, const std::string& from,
                     const std::string& to);

  /// Generated values (${generate:...}).
  Result<std::map<std::string, std::string>> Values(int64_t id);
  /// Inserts values not stored yet; existing keys keep their value.
  Status AddValues(int64_t id, const std::map<std::string, std::string>& values);

 private:
  Result<Deployment> Insert(Deployment d, std::optional<int64_t> id);
  Result<std::vector<Deployment>> Query(std::string_view where,
                                        const std::vector<std::string>& args);
  Status Update(int64_t id, std::string_view assignments, const std::vector<std::string>& args);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
