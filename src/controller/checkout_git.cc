#include "controller/checkout_git.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <utility>

#include <fmt/core.h>

#include "git/git_command.h"

namespace yard::controller {
namespace {

using std::chrono::milliseconds;

// `-c` settings on every command line (see the header for why each).
constexpr std::array<const char*, 8> kGuards = {
    "core.hooksPath=/dev/null",
    "core.alternateRefsCommand=",
    "gc.auto=0",
    "maintenance.auto=false",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "merge.verifySignatures=false",
    // A merge must never stash anyone's changes away, not even to put them back.
    "merge.autoStash=false",
};

// A private directory holding a symlink with a name nobody can guess to the repository to
// fetch from (see the header). Removed with the object.
class FetchUrl {
 public:
  static Result<FetchUrl> Create(const std::string& repository) {
    std::error_code error;
    std::string base = std::filesystem::temp_directory_path(error).string();
    if (error) base = "/tmp";
    std::string dir = base + "/yard-fetch-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
      return Unexpected(ErrorCode::kIo, fmt::format("cannot create a directory in {}: {}", base,
                                                    std::strerror(errno)));
    }
    FetchUrl url(dir);
    std::random_device random;
    std::string name;
    for (int i = 0; i < 4; ++i) name += fmt::format("{:08x}", random());
    url.url_ = dir + "/" + name;
    // `-c url.<URL>.insteadOf=<URL>` is split at the first '='.
    if (url.url_.find('=') != std::string::npos) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("the temporary directory {} has a '=' in its path", base));
    }
    if (::symlink(repository.c_str(), url.url_.c_str()) != 0) {
      return Unexpected(ErrorCode::kIo, fmt::format("cannot create a symlink in {}: {}", dir,
                                                    std::strerror(errno)));
    }
    return url;
  }

  FetchUrl(FetchUrl&& other) noexcept
      : dir_(std::exchange(other.dir_, {})), url_(std::move(other.url_)) {}
  FetchUrl& operator=(FetchUrl&&) = delete;
  ~FetchUrl() {
    if (dir_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);  // removes the symlink, not what it points to
  }

  const std::string& url() const { return url_; }

 private:
  explicit FetchUrl(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  std::string url_;
};

}  // namespace

Deadline::Deadline(milliseconds timeout)
    : end_(std::chrono::steady_clock::now() + timeout), timeout_(timeout) {}

Result<milliseconds> Deadline::Left(std::string_view what, milliseconds floor) const {
  milliseconds left = std::max(
      std::chrono::duration_cast<milliseconds>(end_ - std::chrono::steady_clock::now()), floor);
  if (left <= milliseconds(0)) {
    return Unexpected(
        ErrorCode::kTimeout,
        fmt::format("{}: the deadline of {} s passed", what,
                    std::chrono::duration_cast<std::chrono::seconds>(timeout_).count()));
  }
  return left;
}

Result<CheckoutGit> CheckoutGit::Open(std::string dir, const Deadline& deadline) {
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return Unexpected(ErrorCode::kNotFound, fmt::format("there is no code volume at {}", dir));
    }
    return Unexpected(ErrorCode::kIo, fmt::format("cannot read {}: {}", dir, std::strerror(errno)));
  }
  if (!S_ISDIR(info.st_mode)) {
    return Unexpected(ErrorCode::kFailedPrecondition, fmt::format("{} is not a directory", dir));
  }
  // A symlink or a gitdir file would send the host's git to a repository elsewhere.
  if (::lstat((dir + "/.git").c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Unexpected(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} is not a Git checkout: its .git is missing or is not a directory", dir));
  }
  return CheckoutGit(std::move(dir), deadline);
}

git::GitInvocation CheckoutGit::Invocation(const std::vector<std::string>& args,
                                           milliseconds timeout) const {
  std::vector<std::string> argv = {"--work-tree=" + dir_, "-c", "safe.directory=" + dir_};
  for (const char* guard : kGuards) {
    argv.push_back("-c");
    argv.push_back(guard);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return {.args = std::move(argv), .git_dir = git_dir(), .timeout = timeout};
}

Result<ProcessResult> CheckoutGit::Run(const std::vector<std::string>& args, std::string_view what,
                                       milliseconds floor) const {
  return git::RunGit(Invocation(args, TRY(deadline_->Left(what, floor))));
}

Result<std::string> CheckoutGit::Output(const std::vector<std::string>& args,
                                        std::string_view what) const {
  ProcessResult result =
      TRY(git::RunGitChecked(Invocation(args, TRY(deadline_->Left(what))), what));
  return std::move(result.stdout_data);
}

Status CheckoutGit::FetchBranch(const git::BareRepository& origin,
                                const std::string& branch) const {
  FetchUrl url = TRY(FetchUrl::Create(origin.path()));
  std::string what = fmt::format("cannot fetch branch '{}' into the code volume", branch);
  ProcessResult fetch =
      TRY(Run({"-c", fmt::format("url.{}.insteadOf={}", url.url(), url.url()), "fetch", "--quiet",
               "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
               "--upload-pack=git-upload-pack", "--", url.url(),
               fmt::format("+refs/heads/{}:refs/remotes/origin/{}", branch, branch)},
              what));
  if (fetch.Succeeded()) return Ok();
  if (fetch.timed_out) {
    return Unexpected(ErrorCode::kTimeout, what + ": git did not finish in time");
  }
  std::string summary = git::SummarizeStderr(fetch.stderr_data);
  if (summary.find("couldn't find remote ref") != std::string::npos) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("{}: the project has no branch '{}'", what, branch));
  }
  return Unexpected(ErrorCode::kInternal, fmt::format("{}: git says: {}", what, summary));
}

Result<std::vector<std::string>> CheckoutGit::FilterDrivers() const {
  ProcessResult result = TRY(Run({"config", "-z", "--get-regexp", "^filter\\."}, "git config"));
  if (result.exit_code == 1) return std::vector<std::string>();  // none
  if (!result.Succeeded()) {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("cannot read the code volume's git config: {}",
                                  git::SummarizeStderr(result.stderr_data)));
  }
  std::set<std::string> names;
  for (const std::string& record : SplitNulRecords(result.stdout_data)) {
    std::string key = record.substr(0, record.find('\n'));  // "filter.NAME.VARIABLE"
    size_t first = key.find('.');
    size_t last = key.rfind('.');
    if (first != last) names.insert(key.substr(first + 1, last - first - 1));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

std::vector<std::string> SplitNulRecords(std::string_view text) {
  std::vector<std::string> records;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\0', begin);
    if (end == std::string_view::npos) end = text.size();
    records.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return records;
}

}  // namespace yard::controller
