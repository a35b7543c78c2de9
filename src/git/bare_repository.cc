// BareRepository: creating, opening and refreshing repositories. The read side (branches,
// commits, trees, files) is in bare_repository_read.cc.

#include "git/bare_repository.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/core.h>

#include "base/fs.h"
#include "git/git_command.h"
#include "git/remote_url.h"

namespace yard::git {
namespace {

// The refs a mirror holds. Only branches: tags are not used to deploy, and hosts publish
// other refs (GitHub's refs/pull/*) in numbers that would dwarf the branches.
constexpr const char* kBranchRefspec = "+refs/heads/*:refs/heads/*";

// A directory beside the final path that is removed unless Release() is called: whatever
// fails half-way, nothing is left behind.
class StagingDir {
 public:
  static Result<StagingDir> Create(const std::string& final_path, std::string_view purpose) {
    std::filesystem::path target(final_path);
    std::string parent = target.parent_path().string();
    TRY_CTX(fs::CreateDirectories(parent), "cannot create the parent directory of " + final_path);
    std::string pattern =
        fmt::format("{}/.{}.{}-XXXXXX", parent, target.filename().string(), purpose);
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Unexpected(ErrorCode::kIo, fmt::format("cannot create a directory beside {}: {}",
                                                    final_path, std::strerror(errno)));
    }
    return StagingDir(std::move(pattern));
  }

  StagingDir(StagingDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }

  // Renames the directory to `final_path`, which must not exist, and stops owning it.
  Status MoveTo(const std::string& final_path) {
    // RENAME_NOREPLACE: a plain rename would silently replace an empty directory created by
    // someone else since we checked.
    if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) != 0) {
      int error = errno;
      if (error == EEXIST || error == ENOTEMPTY) {
        return Unexpected(ErrorCode::kAlreadyExists, final_path + " already exists");
      }
      return Unexpected(ErrorCode::kIo, fmt::format("cannot rename {} to {}: {}", path_, final_path,
                                                    std::strerror(error)));
    }
    path_.clear();
    return Ok();
  }

 private:
  explicit StagingDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Status CheckAbsent(const std::string& path) {
  if (fs::Exists(path)) {
    return Unexpected(ErrorCode::kAlreadyExists,
                      fmt::format("cannot create a repository at {}: it already exists", path));
  }
  return Ok();
}

}  // namespace

Result<BareRepository> BareRepository::Init(const std::string& path) {
  std::string target = fs::Absolute(path);
  TRY(CheckAbsent(target));
  StagingDir staging = TRY(StagingDir::Create(target, "init"));
  std::string what = "cannot create a repository at " + target;
  TRY(RunGitChecked(
      {.args = {"init", "--bare", "--quiet", "--initial-branch=main", "--", staging.path()}},
      what));
  // Hosted repositories take force pushes: a project's history is its owner's to rewrite.
  TRY(RunGitChecked(
      {.args = {"config", "receive.denyNonFastForwards", "false"}, .git_dir = staging.path()},
      what));
  TRY(staging.MoveTo(target));
  return BareRepository(target);
}

Result<BareRepository> BareRepository::Mirror(std::string_view url, const std::string& path,
                                              std::chrono::milliseconds timeout) {
  TRY(ValidateRemoteUrl(url));
  std::string target = fs::Absolute(path);
  TRY(CheckAbsent(target));
  StagingDir staging = TRY(StagingDir::Create(target, "mirror"));
  std::string what = fmt::format("cannot mirror {}", RedactUrl(url));
  // --bare maps refs/heads/* one to one and sets HEAD to the remote's default branch.
  // --no-local: a local path goes through the normal transport instead of hard-linking or
  // copying the source's files, which could otherwise follow symlinks in its objects dir.
  ProcessResult clone = TRY(RunGit({.args = {"clone", "--bare", "--no-local", "--no-tags",
                                             "--quiet", "--", std::string(url), staging.path()},
                                    .timeout = timeout}));
  if (!clone.Succeeded()) return Unexpected(RemoteFailure(clone, what, url));
  // Forget the remote: its URL may hold a token, and Fetch is always given the URL anew.
  TRY(RunGitChecked(
      {.args = {"config", "--remove-section", "remote.origin"}, .git_dir = staging.path()}, what));
  TRY(staging.MoveTo(target));
  return BareRepository(target);
}

Result<BareRepository> BareRepository::Open(const std::string& path) {
  std::string target = fs::Absolute(path);
  if (!fs::Exists(target)) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("no repository at {}", target));
  }
  ProcessResult result =
      TRY(RunGit({.args = {"rev-parse", "--is-bare-repository"}, .git_dir = target}));
  if (!result.Succeeded()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is not a Git repository ({})", target,
                                  SummarizeStderr(result.stderr_data)));
  }
  if (result.stdout_data.starts_with("false")) {
    return Unexpected(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} is a Git repository with a work tree, not a bare one", target));
  }
  if (!result.stdout_data.starts_with("true")) {
    return Unexpected(
        ErrorCode::kInternal,
        fmt::format("unexpected answer from git rev-parse for {}: {}", target, result.stdout_data));
  }
  return BareRepository(target);
}

Status BareRepository::Fetch(std::string_view url, std::chrono::milliseconds timeout) const {
  TRY(ValidateRemoteUrl(url));
  // --atomic: all ref updates in one transaction. --no-write-fetch-head: nothing reads it, and
  // it would be one more file that concurrent fetches fight over.
  ProcessResult fetch =
      TRY(RunGit({.args = {"fetch", "--prune", "--no-tags", "--atomic", "--no-write-fetch-head",
                           "--quiet", "--", std::string(url), kBranchRefspec},
                  .git_dir = path_,
                  .timeout = timeout}));
  if (!fetch.Succeeded()) {
    return Unexpected(
        RemoteFailure(fetch, fmt::format("cannot fetch {} into {}", RedactUrl(url), path_), url));
  }
  return Ok();
}

Result<std::string> BareRepository::Archive(std::string_view commit, std::string_view dir,
                                            size_t max_bytes) const {
  std::string sha = TRY(ResolveCommit(commit));
  if (TRY(Stat(sha, dir)) != EntryKind::kDirectory) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a directory at commit {}", dir, sha.substr(0, 12)));
  }
  std::string tree = dir.empty() || dir == "." ? sha : fmt::format("{}:{}", sha, dir);
  ProcessResult result = TRY(RunGitChecked({.args = {"archive", "--format=tar", tree},
                                            .git_dir = path_,
                                            .max_output_bytes = max_bytes + 1},
                                           fmt::format("cannot archive '{}'", dir)));
  if (result.output_truncated || result.stdout_data.size() > max_bytes) {
    return Unexpected(ErrorCode::kTooLarge,
                      fmt::format("'{}' at commit {} is larger than {} bytes as a tar", dir,
                                  sha.substr(0, 12), max_bytes));
  }
  return std::move(result.stdout_data);
}

Status BareRepository::CloneBranch(std::string_view branch, const std::string& path,
                                   std::chrono::milliseconds timeout) const {
  std::string target = fs::Absolute(path);
  if (fs::Exists(target)) {
    return Unexpected(ErrorCode::kAlreadyExists, fmt::format("{} already exists", target));
  }
  std::string sha = TRY(ResolveCommit(fmt::format("refs/heads/{}", branch)));
  (void)sha;
  StagingDir staging = TRY(StagingDir::Create(target, "checkout"));
  // --no-hardlinks: the code volume must not share inodes with the project's repository.
  ProcessResult clone =
      TRY(RunGit({.args = {"clone", "--no-hardlinks", "--quiet", "--branch", std::string(branch),
                           "--", path_, staging.path()},
                  .timeout = timeout}));
  if (!clone.Succeeded()) {
    return Unexpected(ErrorCode::kIo, fmt::format("cannot check out branch '{}': {}", branch,
                                                  SummarizeStderr(clone.stderr_data)));
  }
  return staging.MoveTo(target);
}

}  // namespace yard::git
