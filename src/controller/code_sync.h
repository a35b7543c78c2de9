#pragma once

// A development deployment's code volume is a Git checkout of its branch
// (git::BareRepository::CloneBranch) that people and dev servers edit from inside
// containers. When the branch moves, SyncCheckout brings the new commits in if that cannot
// lose anything (no local edits, no local commits, on the branch, no merge or rebase under
// way, no untracked file in the way) and otherwise leaves the checkout alone and says how far
// it has diverged. InspectCheckout is the same report without fetching, for the status.
//
// Everything in the checkout, `.git` included, is written from inside containers, so its git
// config, hooks and attributes are hostile input to a git that runs on the host as the
// server's user: checkout_git.h says what is done about it.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "git/bare_repository.h"

namespace yard::controller {

/// What the checkout holds, relative to a commit of its branch.
struct CodeState {
  std::string head;      // HEAD commit of the checkout
  std::string branch;    // the checked-out branch ("" when HEAD is detached)
  std::string upstream;  // the commit compared against (full id)
  int ahead = 0;         // commits in HEAD's history that are not in `upstream`'s
  int behind = 0;        // commits in `upstream`'s history that are not in HEAD's
  /// Tracked paths whose index or work-tree content differs from HEAD (staged or not,
  /// deleted, unmerged), sorted, at most kMaxListedPaths. Untracked files are not local
  /// changes: a fast-forward keeps them (see in_the_way).
  std::vector<std::string> uncommitted;
  int uncommitted_total = 0;
  /// Untracked or ignored paths that the commits to bring in would overwrite (sync only).
  std::vector<std::string> in_the_way;
  /// Anything else that stops a fast-forward, in plain words ("a rebase is in progress");
  /// empty when nothing does.
  std::string blocked_by;
};

inline constexpr size_t kMaxListedPaths = 50;

enum class SyncResult {
  kUpToDate,       // nothing to bring in (the checkout may be ahead: see state.ahead)
  kFastForwarded,  // the branch and the files on disk now are at the commit
  kDiverged,       // not brought up to date, nothing changed: the summary says why
};

struct SyncOutcome {
  SyncResult result = SyncResult::kUpToDate;
  CodeState state;      // after the sync
  std::string summary;  // one line for the deployment's status
};

/// Fetches `branch` from `origin` (the project's repository; the checkout's own `origin`
/// remote is not trusted) into the checkout's `refs/remotes/origin/<branch>` and, when the
/// checkout is on that branch with no local changes, no local commits and nothing in
/// progress, fast-forwards it to `commit`, which must be on the branch in `origin` (its head
/// or an ancestor). Otherwise the work tree, the index and the branch are left as they were
/// (kDiverged, or kUpToDate when there is nothing to bring in). Never loses a local edit,
/// commit, untracked or ignored file. Files git creates in a checkout owned by another user
/// are given to that user, so the containers can go on editing and committing.
///
/// Errors: kInvalidArgument for a bad branch name or commit id; kNotFound when `checkout`
/// does not exist or `branch` is not in `origin`; kFailedPrecondition when `checkout` is not
/// a checkout (no `.git` directory, no HEAD) or `commit` is not on `branch`; kTimeout when
/// `timeout` passed (a fast-forward already under way is given at least 30 s, see
/// code_sync.cc); kInternal when git fails otherwise.
Result<SyncOutcome> SyncCheckout(const std::string& checkout, const git::BareRepository& origin,
                                 const std::string& branch, const std::string& commit,
                                 std::chrono::milliseconds timeout);

/// The state of `checkout` against `against` (a commit id the checkout has), or against
/// `refs/remotes/origin/<branch>` (what the last sync fetched) when `against` is empty.
/// Reads only: runs nothing the checkout's config or attributes name, changes no file.
/// Errors: as SyncCheckout; kFailedPrecondition also when the checkout lacks `against`.
Result<CodeState> InspectCheckout(const std::string& checkout, const std::string& branch,
                                  const std::string& against, std::chrono::milliseconds timeout);

/// What SyncCheckout decides from a state: kUpToDate when there is nothing to bring in,
/// kFastForwarded when a fast-forward may be tried, kDiverged otherwise. Pure.
SyncResult DecideSync(const CodeState& state, std::string_view branch);

/// One line for the deployment's status: "up to date with main", "3 commits behind main",
/// "the code volume has diverged from main: 2 commits ahead, 3 behind, 4 uncommitted files
/// (app.py, ...)", "the code volume is on branch 'x', not on main: it is not updated". Pure.
std::string SummarizeCodeState(const CodeState& state, std::string_view branch);

/// Points the checkout's `origin` remote at `url` (how its containers reach the project:
/// devgit/), unless a user pointed it elsewhere: only a missing origin, a host path (the
/// first clone's) or a URL starting with `replaceable_prefix` is replaced. The host's git runs
/// under CheckoutGit's guards.
Status PointOrigin(const std::string& checkout, const std::string& url,
                   std::string_view replaceable_prefix);

}  // namespace yard::controller
