#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "git/objects.h"

namespace yard::git {

/// One bare Git repository on disk: a project's mirror of a remote, or a hosted repository
/// that users push to. Reads never need a checkout: files come straight from the object store.
///
/// Every method runs the real `git` through RunGit (git_command.h): hardened environment, no
/// prompts, a deadline on every call. Methods are const and keep no state but the path, so
/// any number of threads may read the same repository at once, also while a Fetch runs (git
/// writes objects before it moves refs). Do not run two Fetch calls on one repository at the
/// same time: git's ref locks make one of them fail; callers serialise them per repository.
class BareRepository {
 public:
  /// Creates an empty bare repository at `path` whose default branch is `main` and which
  /// accepts force pushes (receive.denyNonFastForwards=false). Created beside `path` and
  /// renamed into place, so `path` is either complete or absent. Missing parent directories
  /// are created. Errors: kAlreadyExists when `path` exists; kIo; kInternal when git fails.
  static Result<BareRepository> Init(const std::string& path);

  /// Clones the branches of `url` (any form ValidateRemoteUrl accepts) into a new bare
  /// repository at `path`: refs/heads/* map one to one, tags and other refs (pull requests,
  /// notes) are not copied, HEAD follows the remote's default branch. The URL is not stored
  /// in the repository (credentials stay out of its config); Fetch takes it again.
  /// The clone goes into a temporary directory beside `path` that is renamed into place only
  /// on success and removed on failure, so nothing half-made is ever left at or beside `path`.
  /// Errors: kInvalidArgument (bad URL), kAlreadyExists (`path` exists), kNotFound (no
  /// repository at `url`), kPermissionDenied (the remote wants credentials or refused them),
  /// kUnavailable (host unreachable, other remote failures), kTimeout (`timeout` passed),
  /// kIo. Messages hold git's own words, with passwords in the URL redacted.
  static Result<BareRepository> Mirror(std::string_view url, const std::string& path,
                                       std::chrono::milliseconds timeout);

  /// Opens an existing bare repository (relative paths are made absolute). Errors: kNotFound
  /// when `path` does not exist; kFailedPrecondition when it is not a bare Git repository.
  static Result<BareRepository> Open(const std::string& path);

  /// Brings a mirror up to date with `url`: new and moved branches (force-updates included)
  /// are taken over, branches deleted on the remote are deleted here. Ref updates happen in one
  /// transaction (`fetch --atomic`): readers see the old set of heads or the new one. Same
  /// errors as Mirror, except kAlreadyExists.
  Status Fetch(std::string_view url, std::chrono::milliseconds timeout) const;

  /// All branches, sorted by name (byte order). Empty for an empty repository.
  Result<std::vector<Branch>> Branches() const;

  /// The full hex id of the commit that `ref_or_sha` names: a branch name ("main",
  /// "feature/x", also "refs/heads/main"), else an abbreviated or full commit id. A branch
  /// wins over a commit id that looks the same. Errors: kInvalidArgument when the text cannot
  /// be a branch or commit (leading '-', "..", control characters, ...; see ValidateRefText);
  /// kNotFound for an unknown branch or commit, or an ambiguous abbreviation.
  Result<std::string> ResolveCommit(std::string_view ref_or_sha) const;

  /// The contents of the regular file at `path` in commit `commit` (anything ResolveCommit
  /// accepts). `path` is relative to the repository root ("deploy/web/Dockerfile").
  /// Errors: kInvalidArgument for a bad path (absolute, "..", NUL; see ValidateTreePath) or
  /// one naming a directory, symlink or submodule; kNotFound for an unknown commit or a path
  /// missing at that commit; kTooLarge when the file has more than `max_bytes` bytes (checked
  /// before anything is read).
  Result<std::string> ReadFile(std::string_view commit, std::string_view path,
                               size_t max_bytes) const;

  /// What `path` names at `commit`; kMissing when nothing does. "" is the root (kDirectory).
  /// Errors: kInvalidArgument for a bad path or ref; kNotFound for an unknown commit.
  Result<EntryKind> Stat(std::string_view commit, std::string_view path) const;

  /// The entries of directory `dir` ("" for the root) at `commit`, one level, sorted by name.
  /// Errors: kInvalidArgument for a bad path or ref, or when `dir` is not a directory;
  /// kNotFound for an unknown commit or a missing `dir`.
  Result<std::vector<TreeEntry>> ListTree(std::string_view commit, std::string_view dir) const;

  /// An uncompressed tar of directory `dir` ("" for the root) at `commit`, with `dir` as the
  /// archive's root (`git archive COMMIT:DIR`): a build context. Deterministic for a commit.
  /// Errors: as ListTree; kTooLarge beyond `max_bytes`.
  Result<std::string> Archive(std::string_view commit, std::string_view dir,
                              size_t max_bytes) const;

  /// Checks out branch `branch` into a new working repository at `path` (a development
  /// deployment's code volume), with the branch's upstream set to this repository. Cloned
  /// beside `path` and renamed into place: `path` is complete or absent. Errors:
  /// kAlreadyExists when `path` exists; kNotFound for an unknown branch; kIo; kTimeout.
  Status CloneBranch(std::string_view branch, const std::string& path,
                     std::chrono::milliseconds timeout) const;

  /// The absolute path of the repository directory.
  const std::string& path() const { return path_; }

 private:
  explicit BareRepository(std::string path) : path_(std::move(path)) {}

  std::string path_;
};

}  // namespace yard::git
