// Bringing a branch's new commits into a development deployment's code volume without losing
// anyone's work. The checkout is the containers' (.git included): git runs on it only through
// CheckoutGit (checkout_git.h says what that guards against), and files in it are read and
// handed over only through checkout_files.h, which never follows a symlink.

#include "controller/code_sync.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "controller/checkout_files.h"
#include "controller/checkout_git.h"
#include "git/git_command.h"
#include "git/git_output.h"

namespace yard::controller {
namespace {

using std::chrono::milliseconds;

// A fast-forward killed half-way leaves some files new and the branch old (see FastForward):
// worse than answering late, so once started it gets at least this long.
constexpr milliseconds kMinMergeTime{30'000};
// Paths a summary names before "...".
constexpr size_t kSummaryPaths = 3;

std::string Short(std::string_view id) { return std::string(id.substr(0, 7)); }

std::string Plural(int count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

// Names the first few of `paths` ("app.py, lib/x.py, ..."), `total` being how many there are.
std::string NamePaths(const std::vector<std::string>& paths, size_t total) {
  std::string names;
  for (size_t i = 0; i < paths.size() && i < kSummaryPaths; ++i) {
    names += (i == 0 ? "" : ", ") + paths[i];
  }
  if (total > kSummaryPaths) names += ", ...";
  return names;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (const std::string& part : parts) {
    joined += (joined.empty() ? "" : std::string(separator)) + part;
  }
  return joined;
}

// ---------------------------------------------------------------------------------------------
// Reading the state.

// Parses `ls-files -s -t -z`: "T MODE ID STAGE\tPATH\0".
Result<std::vector<IndexEntry>> ParseIndex(std::string_view output) {
  std::vector<IndexEntry> entries;
  for (const std::string& record : SplitNulRecords(output)) {
    size_t tab = record.find('\t');
    IndexEntry entry;
    char stage = '0';
    std::array<char, 8> mode{};
    std::array<char, 65> id{};
    if (tab == std::string::npos || std::sscanf(record.c_str(), "%c %7s %64s %c", &entry.tag,
                                                mode.data(), id.data(), &stage) != 4) {
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("unexpected line from git ls-files: '{}'", record));
    }
    entry.mode = mode.data();
    entry.id = id.data();
    entry.stage = stage - '0';
    entry.path = record.substr(tab + 1);
    entries.push_back(std::move(entry));
  }
  return entries;
}

// What is under way in the checkout that a fast-forward must not cut into.
std::string OperationInProgress(const std::string& git_dir) {
  static constexpr std::array<std::pair<const char*, const char*>, 7> kMarkers = {{
      {"MERGE_HEAD", "a merge is in progress"},
      {"rebase-merge", "a rebase is in progress"},
      {"rebase-apply", "a rebase (or git am) is in progress"},
      {"CHERRY_PICK_HEAD", "a cherry-pick is in progress"},
      {"REVERT_HEAD", "a revert is in progress"},
      {"BISECT_LOG", "a bisect is in progress"},
      {"index.lock", "another git command is running in it (or left .git/index.lock behind)"},
  }};
  for (const auto& [name, words] : kMarkers) {
    struct stat info {};
    if (::lstat((git_dir + "/" + name).c_str(), &info) == 0) return words;
  }
  return {};
}

// The full id of the commit `rev` names in the checkout; nullopt when it names none.
Result<std::optional<std::string>> ResolveIn(const CheckoutGit& git, const std::string& rev) {
  ProcessResult result = TRY(git.Run(
      {"rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"}, "rev-parse"));
  if (result.timed_out) {
    return Unexpected(ErrorCode::kTimeout, "reading the code volume's commits took too long");
  }
  if (!result.Succeeded()) return std::optional<std::string>();
  std::string id = result.stdout_data.substr(0, result.stdout_data.find('\n'));
  return std::optional<std::string>(std::move(id));
}

// Tracked paths whose index or work-tree content differs from HEAD, sorted.
Result<std::vector<std::string>> ChangedPaths(const CheckoutGit& git) {
  std::set<std::string> changed;
  // Index against HEAD: reads no work-tree file. --ignore-submodules=dirty: never run git in
  // a submodule's directory.
  std::string staged = TRY(git.Output({"diff-index", "--cached", "-z", "--name-only",
                                       "--no-renames", "--ignore-submodules=dirty", "HEAD"},
                                      "cannot compare the code volume's index with HEAD"));
  for (std::string& path : SplitNulRecords(staged)) changed.insert(std::move(path));

  std::string index =
      TRY(git.Output({"ls-files", "-s", "-t", "-z"}, "cannot read the code volume's index"));
  std::vector<IndexEntry> entries = TRY(ParseIndex(index));
  UniqueFd root = OpenCheckoutRoot(git.dir());
  if (!root) {
    return Unexpected(ErrorCode::kIo,
                      fmt::format("cannot open {}: {}", git.dir(), std::strerror(errno)));
  }
  for (const IndexEntry& entry : entries) {
    if (entry.stage != 0 || !WorkTreeMatches(root.get(), entry)) changed.insert(entry.path);
  }
  return std::vector<std::string>(changed.begin(), changed.end());
}

// The state of the checkout against `against` (anything rev-parse takes).
Result<CodeState> ReadState(const CheckoutGit& git, const std::string& against) {
  CodeState state;
  std::optional<std::string> head = TRY(ResolveIn(git, "HEAD"));
  if (!head) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the code volume {} has no commit checked out", git.dir()));
  }
  state.head = std::move(*head);
  std::optional<std::string> upstream = TRY(ResolveIn(git, against));
  if (!upstream) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the code volume {} does not have {}", git.dir(), against));
  }
  state.upstream = std::move(*upstream);

  ProcessResult symbolic = TRY(git.Run({"symbolic-ref", "--quiet", "HEAD"}, "symbolic-ref"));
  std::string ref = symbolic.stdout_data.substr(0, symbolic.stdout_data.find('\n'));
  if (symbolic.Succeeded() && ref.starts_with("refs/heads/")) {
    state.branch = ref.substr(std::string_view("refs/heads/").size());
  } else if (symbolic.timed_out || (symbolic.exit_code != 1 && !symbolic.Succeeded())) {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("cannot read the code volume's branch: {}",
                                  git::SummarizeStderr(symbolic.stderr_data)));
  }
  state.blocked_by = OperationInProgress(git.git_dir());

  std::string counts =
      TRY(git.Output({"rev-list", "--left-right", "--count", state.head + "..." + state.upstream},
                     "cannot count the code volume's commits"));
  if (std::sscanf(counts.c_str(), "%d %d", &state.ahead, &state.behind) != 2) {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("unexpected answer from git rev-list: '{}'", counts));
  }

  std::vector<std::string> changed = TRY(ChangedPaths(git));
  state.uncommitted_total = static_cast<int>(changed.size());
  if (changed.size() > kMaxListedPaths) changed.resize(kMaxListedPaths);
  state.uncommitted = std::move(changed);
  return state;
}

// ---------------------------------------------------------------------------------------------
// Syncing.

// Fails unless `commit` is `branch`'s head in `origin` or one of its ancestors.
Status CheckOnBranch(const git::BareRepository& origin, const std::string& branch,
                     const std::string& commit, const Deadline& deadline) {
  std::string head = TRY(origin.ResolveCommit("refs/heads/" + branch));
  if (head == commit) return Ok();
  ProcessResult result = TRY(git::RunGit({.args = {"merge-base", "--is-ancestor", commit, head},
                                          .git_dir = origin.path(),
                                          .timeout = TRY(deadline.Left("merge-base"))}));
  if (result.exit_code == 0) return Ok();
  if (!result.timed_out && (result.exit_code == 1 || !result.stderr_data.empty())) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("commit {} is not on branch '{}'", Short(commit), branch));
  }
  return Unexpected(ErrorCode::kInternal, fmt::format("cannot check that {} is on '{}': {}",
                                                      Short(commit), branch, result.Describe()));
}

// Untracked or ignored paths that the commits from `head` to `target` would write over: the
// paths they add that exist on disk. git refuses to write over them too (below); this names
// them before anything starts.
Result<std::vector<std::string>> InTheWay(const CheckoutGit& git, const std::string& head,
                                          const std::string& target) {
  std::string added = TRY(git.Output(
      {"diff-tree", "-r", "-z", "--name-only", "--no-renames", "--diff-filter=A", head, target},
      "cannot list the files the new commits add"));
  UniqueFd root = OpenCheckoutRoot(git.dir());
  std::vector<std::string> in_the_way;
  for (const std::string& path : SplitNulRecords(added)) {
    if (root && ExistsBeneath(root.get(), path)) in_the_way.push_back(path);
  }
  return in_the_way;
}

// The tab-indented file names git lists under an error ("...would be overwritten by merge:").
std::vector<std::string> ListedFiles(std::string_view stderr_data) {
  std::vector<std::string> files;
  size_t begin = 0;
  while (begin < stderr_data.size()) {
    size_t end = stderr_data.find('\n', begin);
    if (end == std::string_view::npos) end = stderr_data.size();
    std::string_view line = stderr_data.substr(begin, end - begin);
    if (line.starts_with('\t')) files.emplace_back(line.substr(1));
    begin = end + 1;
  }
  return files;
}

// Moves the checkout's branch and files from `head` to `target`, or says why not.
//
// `git merge --ff-only` (read-tree -m -u followed by update-ref would write the same way):
// git writes every file first, then the index (to index.lock, renamed into place), then the
// branch ref. Interrupted half-way (the deadline, a crash), the branch and the index are still
// at the old commit while some files already hold the new content; the next sync sees those
// as uncommitted changes and reports the checkout as diverged, and nothing is lost, since a
// fast-forward only starts on a checkout without local changes. To make that rare, the merge
// gets at least kMinMergeTime whatever the caller's deadline. Just before writing, git checks
// each file again (a container may have edited one since the state was read) and refuses
// rather than overwrite: --no-overwrite-ignore extends that to ignored files, which it would
// otherwise replace silently (a local .env, ignored by .gitignore, that the new commits add).
// The result: nullopt when merged, else the state to report.
Result<std::optional<std::string>> FastForward(const CheckoutGit& git, const std::string& target,
                                               CodeState& state) {
  ProcessResult merge = TRY(git.Run({"merge", "--ff-only", "--no-overwrite-ignore", "--no-stat",
                                     "--no-edit", "--no-verify-signatures", "--quiet", target},
                                    "fast-forward", kMinMergeTime));
  if (merge.Succeeded()) return std::optional<std::string>();
  if (merge.timed_out) {
    return Unexpected(ErrorCode::kTimeout,
                      "the fast-forward of the code volume did not finish in time; files it "
                      "had written show as uncommitted changes");
  }
  const std::string& err = merge.stderr_data;
  if (err.find("untracked working tree files would be") != std::string::npos) {
    state.in_the_way = ListedFiles(err);
  } else if (err.find("local changes to the following files") != std::string::npos) {
    state.uncommitted = ListedFiles(err);
    state.uncommitted_total = static_cast<int>(state.uncommitted.size());
  } else if (err.find("index.lock") != std::string::npos) {
    state.blocked_by = "another git command is running in it";
  } else {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("cannot fast-forward the code volume: git says: {}",
                                  git::SummarizeStderr(err)));
  }
  return std::optional<std::string>(git::SummarizeStderr(err));
}

}  // namespace

SyncResult DecideSync(const CodeState& state, std::string_view branch) {
  if (state.branch != branch) return SyncResult::kDiverged;
  if (state.behind == 0) return SyncResult::kUpToDate;
  if (!state.blocked_by.empty() || state.ahead > 0 || state.uncommitted_total > 0 ||
      !state.in_the_way.empty()) {
    return SyncResult::kDiverged;
  }
  return SyncResult::kFastForwarded;
}

std::string SummarizeCodeState(const CodeState& state, std::string_view branch) {
  if (state.branch != branch) {
    std::string where = state.branch.empty()
                            ? fmt::format("at a detached commit ({})", Short(state.head))
                            : fmt::format("on branch '{}'", state.branch);
    std::string also = state.blocked_by.empty() ? "" : fmt::format(" ({})", state.blocked_by);
    return fmt::format("the code volume is {}, not on {}{}: it is not updated", where, branch,
                       also);
  }
  std::string uncommitted;
  if (state.uncommitted_total > 0) {
    uncommitted = fmt::format("{} ({})", Plural(state.uncommitted_total, "uncommitted file"),
                              NamePaths(state.uncommitted, state.uncommitted_total));
  }
  std::vector<std::string> parts;
  switch (DecideSync(state, branch)) {
    case SyncResult::kUpToDate:
      if (state.ahead > 0) {
        parts.push_back(fmt::format("{} not on {}", Plural(state.ahead, "local commit"), branch));
      }
      if (!uncommitted.empty()) parts.push_back(uncommitted);
      if (!state.blocked_by.empty()) parts.push_back(state.blocked_by);
      return fmt::format("up to date with {}{}{}", branch, parts.empty() ? "" : "; ",
                         Join(parts, "; "));
    case SyncResult::kFastForwarded:
      return fmt::format("{} behind {}", Plural(state.behind, "commit"), branch);
    case SyncResult::kDiverged:
      break;
  }
  if (!state.blocked_by.empty()) parts.push_back(state.blocked_by);
  if (state.ahead > 0) parts.push_back(fmt::format("{} ahead", Plural(state.ahead, "commit")));
  parts.push_back(fmt::format("{} behind", state.behind));
  if (!uncommitted.empty()) parts.push_back(uncommitted);
  if (!state.in_the_way.empty()) {
    parts.push_back(fmt::format("untracked files in the way ({})",
                                NamePaths(state.in_the_way, state.in_the_way.size())));
  }
  return fmt::format("the code volume has diverged from {}: {}", branch, Join(parts, ", "));
}

Result<CodeState> InspectCheckout(const std::string& checkout, const std::string& branch,
                                  const std::string& against, std::chrono::milliseconds timeout) {
  TRY(git::ValidateRefText(branch));
  if (!against.empty() && !git::LooksLikeObjectId(against)) {
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a commit id", against));
  }
  std::string dir = fs::Absolute(checkout);
  Deadline deadline(timeout);
  CheckoutGit git = TRY(CheckoutGit::Open(dir, deadline));
  return ReadState(git, against.empty() ? "refs/remotes/origin/" + branch : against);
}

Result<SyncOutcome> SyncCheckout(const std::string& checkout, const git::BareRepository& origin,
                                 const std::string& branch, const std::string& commit,
                                 std::chrono::milliseconds timeout) {
  TRY(git::ValidateRefText(branch));
  if (!git::LooksLikeObjectId(commit) || (commit.size() != 40 && commit.size() != 64)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a full commit id", commit));
  }
  std::string dir = fs::Absolute(checkout);
  Deadline deadline(timeout);
  CheckoutGit git = TRY(CheckoutGit::Open(dir, deadline));
  TRY(CheckOnBranch(origin, branch, commit, deadline));

  Status fetched = git.FetchBranch(origin, branch);
  HandOverToOwners(dir, {});  // also after a failure: a killed fetch may have written objects
  TRY(fetched);

  CodeState state = TRY(ReadState(git, commit));
  if (DecideSync(state, branch) != SyncResult::kFastForwarded) {
    std::string summary = SummarizeCodeState(state, branch);
    return SyncOutcome{DecideSync(state, branch), std::move(state), std::move(summary)};
  }
  state.in_the_way = TRY(InTheWay(git, state.head, commit));
  std::vector<std::string> filters = TRY(git.FilterDrivers());
  if (!filters.empty()) {
    state.blocked_by = fmt::format(
        "its git config sets content filters ({}), which are not run outside the deployment",
        Join(filters, ", "));
  }
  if (!state.in_the_way.empty() || !state.blocked_by.empty()) {
    std::string summary = SummarizeCodeState(state, branch);
    return SyncOutcome{SyncResult::kDiverged, std::move(state), std::move(summary)};
  }

  std::string old_head = state.head;
  int brought_in = state.behind;
  auto refused = FastForward(git, commit, state);
  // A fast-forward that ran past the caller's deadline still gets its files handed over and
  // its outcome read.
  Deadline after(kMinMergeTime);
  CheckoutGit git_after = TRY(CheckoutGit::Open(dir, after));
  // What the merge wrote, handed over even when it stopped half-way.
  auto written =
      git_after.Output({"diff-tree", "-r", "-z", "--name-only", "--no-renames", old_head, commit},
                       "cannot list the files the fast-forward wrote");
  HandOverToOwners(dir, written ? SplitNulRecords(*written) : std::vector<std::string>());
  if (!refused) return Unexpected(std::move(refused).error());
  if (*refused) {
    log::Info("not fast-forwarding {}: {}", dir, **refused);
    std::string summary = SummarizeCodeState(state, branch);
    return SyncOutcome{SyncResult::kDiverged, std::move(state), std::move(summary)};
  }
  state = TRY(ReadState(git_after, commit));
  return SyncOutcome{SyncResult::kFastForwarded, std::move(state),
                     fmt::format("fast-forwarded to {} ({} from {})", Short(commit),
                                 Plural(brought_in, "new commit"), branch)};
}

Status PointOrigin(const std::string& checkout, const std::string& url,
                   std::string_view replaceable_prefix) {
  std::string dir = fs::Absolute(checkout);
  Deadline deadline(std::chrono::seconds(30));
  CheckoutGit git = TRY(CheckoutGit::Open(dir, deadline));
  ProcessResult current =
      TRY(git.Run({"config", "--local", "--get", "remote.origin.url"}, "reading origin's URL"));
  std::string now = current.stdout_data;
  while (!now.empty() && (now.back() == '\n' || now.back() == '\r')) now.pop_back();
  if (now == url) return Ok();
  // Only a URL Stackyard set: the host path of the first clone (useless inside a container)
  // or an earlier URL of the platform's own. One a user chose is theirs.
  bool ours = current.exit_code == 1 || now.starts_with('/') ||
              (!replaceable_prefix.empty() && now.starts_with(replaceable_prefix));
  if (!ours) return Ok();
  std::vector<std::string> args = {"config", "--local", "remote.origin.url", url};
  if (current.exit_code == 1) args = {"remote", "add", "origin", url};
  auto set = git.Output(args, "pointing origin at the project");
  HandOverToOwners(dir, {});  // git rewrote .git/config as this process's user
  if (!set) return Unexpected(std::move(set).error());
  return Ok();
}

}  // namespace yard::controller
