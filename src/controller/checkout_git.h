#pragma once

// git run by the host on a development deployment's code volume.
//
// The checkout is written from inside containers, `.git` included, so to the git that runs
// here (as the server's user, usually root) its config, hooks, attributes, index and refs are
// hostile input. What a container could otherwise make that git do, and what stops it:
//
// - Run hooks (reference-transaction on every ref update, post-merge, post-index-change):
//   core.hooksPath=/dev/null on every command.
// - Run commands its config names: core.fsmonitor (off in git::GitArgv),
//   core.alternateRefsCommand (emptied), gpg.program (merge.verifySignatures off),
//   remote.<name>.uploadpack and .vcs (FetchBranch fetches by URL and passes --upload-pack),
//   gc and maintenance (off), submodules (never entered), core.worktree (--work-tree is
//   always given). merge.autoStash is off too: nothing of anyone's is ever stashed away.
// - Fetch from another repository on this machine: url.<base>.insteadOf could rewrite the URL
//   to another project's repository, whose objects the container could then read. FetchBranch
//   fetches through a symlink with a random name in a private directory, and an identity
//   rewrite of exactly that URL is on the command line: git takes the longest matching
//   insteadOf, and no rule can be longer than a URL that cannot be guessed.
// - Run content filters (filter.<driver>.clean/smudge/process, chosen by a `filter`
//   attribute): not preventable by a command-line option, since the driver names are the
//   container's to choose. Callers do not let git read work-tree content where avoidable
//   (checkout_files.h hashes it instead; even `diff-files` runs the clean filter on racily
//   clean entries) and check FilterDrivers before a command that must (a merge). That check
//   is not atomic with the merge: a container that adds a driver in the milliseconds between
//   the two still gets it run. Closing that needs git in a sandbox that sees only the
//   checkout (a mount namespace).
// - Follow symlinks out of the checkout: `.git` must be a real directory (no symlink, no
//   gitdir file); git itself does not write through symlinks in a work tree.
//
// With an explicit --git-dir, git does not apply its safe.directory ownership check, so a
// checkout owned by a container's user works as it is; safe.directory is set anyway, for git
// versions that do check.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/process.h"
#include "base/result.h"
#include "git/bare_repository.h"
#include "git/git_command.h"

namespace yard::controller {

/// One deadline for the git commands of one operation.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds timeout);

  /// The time left, raised to `floor`; kTimeout ("WHAT: the deadline of N s passed") when
  /// none is left.
  Result<std::chrono::milliseconds> Left(
      std::string_view what, std::chrono::milliseconds floor = std::chrono::milliseconds(0)) const;

 private:
  std::chrono::steady_clock::time_point end_;
  std::chrono::milliseconds timeout_;
};

/// git on one checkout, with the guards above on every command line. Holds a reference to
/// the deadline, which must outlive it. Thread-compatible (no state but paths).
class CheckoutGit {
 public:
  /// `dir` is the checkout's absolute path. Errors: kNotFound when it does not exist;
  /// kFailedPrecondition when it is not a directory or its .git is not a directory (a symlink
  /// or gitdir file is refused); kIo.
  static Result<CheckoutGit> Open(std::string dir, const Deadline& deadline);

  const std::string& dir() const { return dir_; }
  std::string git_dir() const { return dir_ + "/.git"; }

  /// Runs `git ARGS` in the checkout, given the time left but at least `floor`. A non-zero exit
  /// is not an error: check the ProcessResult. Errors: kTimeout when no time is left.
  Result<ProcessResult> Run(const std::vector<std::string>& args, std::string_view what,
                            std::chrono::milliseconds floor = std::chrono::milliseconds(0)) const;

  /// Runs a command that must succeed and returns its stdout. Errors: kTimeout; kInternal
  /// ("WHAT: git says: ...") when git fails.
  Result<std::string> Output(const std::vector<std::string>& args, std::string_view what) const;

  /// Fetches `branch` of `origin` into refs/remotes/origin/<branch>, forced so that a
  /// force-pushed branch moves the ref too. Never reads the checkout's idea of where its
  /// origin is. Errors: kNotFound when `origin` has no such branch; kTimeout; kIo; kInternal.
  Status FetchBranch(const git::BareRepository& origin, const std::string& branch) const;

  /// The names of the filter drivers the checkout's config defines, sorted.
  Result<std::vector<std::string>> FilterDrivers() const;

 private:
  CheckoutGit(std::string dir, const Deadline& deadline)
      : dir_(std::move(dir)), deadline_(&deadline) {}

  git::GitInvocation Invocation(const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) const;

  std::string dir_;
  const Deadline* deadline_;
};

/// Splits `-z` output into its NUL-terminated records.
std::vector<std::string> SplitNulRecords(std::string_view text);

}  // namespace yard::controller
