#pragma once

// Projects: a name, a Git repository under the data dir (mirrored or hosted), and members.
// This is where the store, the git module and the manifest meet.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "git/objects.h"
#include "manifest/diagnostics.h"
#include "manifest/model.h"
#include "store/projects.h"
#include "store/users.h"

namespace yard::projects {

/// What the manifest at one branch head says.
enum class ManifestState { kValid, kInvalid, kMissing };
std::string_view ManifestStateName(ManifestState state);

struct BranchStatus {
  git::Branch branch;
  ManifestState manifest = ManifestState::kMissing;
  std::vector<manifest::Diagnostic> diagnostics;  // errors and warnings, by position
  /// The stack's stages (a deployment's stage is one of them) when the manifest is valid.
  std::vector<manifest::Stage> stages;
};

struct ProjectDetails {
  store::Project project;
  std::vector<BranchStatus> branches;
};

struct CreateRequest {
  std::string name;
  /// A Git URL (mirrored), an absolute path to a repository on the server (mirrored), or empty
  /// for a hosted repository that receives pushes.
  std::string source;
};

struct ProjectServiceOptions {
  /// Where bare repositories live: REPOS_DIR/<name>.git.
  std::string repos_dir;
  std::chrono::milliseconds mirror_timeout{std::chrono::minutes(10)};
  /// Called after each successful fetch of a mirrored project (by any path: the API, the
  /// periodic refresh, a webhook), outside the project's refresh lock: new commits on
  /// followed branches are deployed from here.
  std::function<void(const store::Project&)> fetched;
};

/// Thread-safe: refreshes of one project are serialised, everything else may run at once.
class ProjectService {
 public:
  ProjectService(store::ProjectStore& store, ProjectServiceOptions options)
      : store_(store), options_(std::move(options)) {}

  /// Validates the name and source, mirrors or initialises the repository, checks that a
  /// mirrored repository has a stackyard.yaml on some branch, and records the project with
  /// `creator` as owner. On any failure nothing is left behind: no row, no directory.
  Result<store::Project> Create(const CreateRequest& request, const store::User& creator);

  /// The project named `name` if `user` may see it (a member, or an admin); kNotFound
  /// otherwise, so that outsiders cannot probe project names.
  Result<store::Project> Find(const std::string& name, const store::User& user);
  /// Like Find, but the user must be an owner or an admin (kPermissionDenied otherwise).
  Result<store::Project> FindAsOwner(const std::string& name, const store::User& user);
  /// The projects `user` may see.
  Result<std::vector<store::Project>> List(const store::User& user);

  /// Branches with their head commits and the state of the manifest at each head.
  Result<ProjectDetails> Describe(const store::Project& project);
  /// Fetches a mirrored project's source now and records the outcome (also when it failed).
  /// kFailedPrecondition for hosted projects, which have nothing to fetch.
  Status Refresh(const store::Project& project);
  /// Refresh of the project with that id (the webhook's and the refresher's way in).
  Status RefreshById(int64_t project_id);
  /// Refreshes every mirrored project, logging failures; for the periodic refresher. Stops
  /// between projects once `stop_requested` returns true.
  void RefreshAll(const std::function<bool()>& stop_requested);
  /// Removes the project's row and repository.
  Status Delete(const store::Project& project);

 private:
  std::string RepoPath(const std::string& name) const;
  std::mutex& RefreshLock(int64_t project_id);

  store::ProjectStore& store_;
  ProjectServiceOptions options_;
  std::mutex locks_mutex_;
  std::map<int64_t, std::unique_ptr<std::mutex>> refresh_locks_;  // guarded by locks_mutex_
};

}  // namespace yard::projects
