#pragma once

// Preview deployments (docs/cicd.md): a project may ask for a deployment of every branch
// matching a pattern ("feature/*"). A branch gets its preview at its first push, in the
// project's preview stage, and loses it when the branch is deleted or when no push has come
// for the project's time to live.
//
// "First push" is told apart from "exists" by the heads recorded in preview_branches: turning
// previews on records the heads of the matching branches as seen, so they get no preview
// until they move; afterwards a matching branch that is new or whose head differs from the
// recorded one was pushed to. OnPush runs after every push and fetch, before
// Delivery::FollowBranches (a new preview targets the head already, so FollowBranches leaves
// it alone; an existing one is retargeted there), and at start. It is idempotent.
//
// Turning previews off (or changing the pattern) deletes nothing: the previews made so far
// stay until their branch goes or they expire.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "deployments/deployment_service.h"
#include "git/objects.h"
#include "store/deployments.h"
#include "store/preview_branches.h"
#include "store/projects.h"
#include "store/users.h"

namespace yard::deployments {

/// A project's preview settings as a user gives them.
struct PreviewSettings {
  std::string pattern;  // a branch name or glob, as branch protection takes; empty: off
  std::string stage;    // the stage previews run (required when on)
  int64_t ttl_seconds = store::kDefaultPreviewTtlSeconds;
};

/// A preview lives from an hour to a year after its branch's last push.
inline constexpr int64_t kMinPreviewTtlSeconds = 3600;
inline constexpr int64_t kMaxPreviewTtlSeconds = 365LL * 24 * 3600;

/// The name of `branch`'s preview: "preview-" and the branch in lowercase letters, digits and
/// '-' (every other run of characters becomes one '-'). When that is longer than a deployment
/// name may be, or `taken` says another deployment has it, the slug is cut and a short hash
/// of the branch is appended ("preview-feature-x-3fa9c1"); further hashes are tried while
/// those are taken. Always a valid deployment name.
std::string PreviewName(const std::string& branch,
                        const std::function<bool(const std::string&)>& taken);

struct PreviewStores {
  store::ProjectStore& projects;
  store::DeploymentStore& deployments;
  store::PreviewBranchStore& branches;
  store::UserStore& users;
};

/// Thread-safe: OnPush, Configure and Sweep run one at a time (two pushes at once must not
/// both see a branch without its preview).
class Previews {
 public:
  Previews(PreviewStores stores, DeploymentService& service, const Clock& clock)
      : stores_(stores), service_(service), clock_(clock) {}
  Previews(const Previews&) = delete;
  Previews& operator=(const Previews&) = delete;

  /// Turns previews on with `settings` (or, with an empty pattern, off) and records the
  /// heads of the matching branches as seen. kInvalidArgument for a bad pattern, a time to
  /// live out of range, a missing stage or one the stack at the default branch's head does
  /// not have; kFailedPrecondition when the project has no branches or that stack is
  /// invalid. `user` is who asked (logged).
  Status Configure(const store::Project& project, const PreviewSettings& settings,
                   const store::User& user);

  /// After a push or fetch: deletes the previews of deleted branches, creates the previews of
  /// matching branches pushed to for the first time (in `pusher`'s name, else the project
  /// creator's) and moves the expiry of the previews of branches that moved. A preview that
  /// cannot be made (its stack lacks the stage, say) is logged and tried again at the
  /// branch's next push.
  Status OnPush(const store::Project& project, std::optional<int64_t> pusher);

  /// Deletes the deployments whose expiry has passed. The server runs it every minute
  /// (base/periodic_task.h).
  Status Sweep();

 private:
  Status CreatePreview(const store::Project& project, const git::Branch& branch,
                       std::optional<int64_t> pusher, int64_t expires_at);
  Result<store::User> Creator(const store::Project& project, std::optional<int64_t> pusher);

  PreviewStores stores_;
  DeploymentService& service_;
  const Clock& clock_;
  std::mutex mutex_;  // held by OnPush, Configure and Sweep
};

}  // namespace yard::deployments
