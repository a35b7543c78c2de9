// BareRepository: the read side. Everything is read from the object store by object id, so
// no checkout exists and no path we are given ever touches the filesystem.

#include "git/bare_repository.h"

#include <algorithm>
#include <optional>

#include <fmt/core.h>

#include "git/git_command.h"
#include "git/git_output.h"

namespace yard::git {
namespace {

std::string TrimNewline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string Short(std::string_view sha) { return std::string(sha.substr(0, 12)); }

// The entry at `path` (not the root) in `commit`, or nullopt. ls-tree with a literal pathspec
// (GIT_LITERAL_PATHSPECS) descends as far as the path needs and lists exactly that entry.
Result<std::optional<RawTreeEntry>> Lookup(const std::string& git_dir, const std::string& commit,
                                           const std::string& path) {
  ProcessResult result = TRY(RunGitChecked(
      {.args = {"ls-tree", "-z", "-l", "--full-tree", commit, "--", path}, .git_dir = git_dir},
      fmt::format("cannot look up '{}' at commit {}", path, Short(commit))));
  std::vector<RawTreeEntry> entries = TRY(ParseLsTree(result.stdout_data));
  for (RawTreeEntry& entry : entries) {
    if (entry.path == path) return std::optional<RawTreeEntry>(std::move(entry));
  }
  return std::optional<RawTreeEntry>();
}

}  // namespace

Result<std::vector<Branch>> BareRepository::Branches() const {
  ProcessResult result =
      TRY(RunGitChecked({.args = {"for-each-ref", "--sort=refname",
                                  std::string("--format=") + kBranchFormat, "refs/heads/"},
                         .git_dir = path_},
                        "cannot list the branches of " + path_));
  std::vector<Branch> branches = TRY(ParseBranches(result.stdout_data));
  // git sorts by the full ref name, which is the same order; sort anyway so that the contract
  // does not hang on git's collation.
  std::sort(branches.begin(), branches.end(),
            [](const Branch& a, const Branch& b) { return a.name < b.name; });
  return branches;
}

Result<std::string> BareRepository::ResolveCommit(std::string_view ref_or_sha) const {
  TRY(ValidateRefText(ref_or_sha));
  std::string_view name = ref_or_sha;
  if (name.starts_with("refs/heads/")) name.remove_prefix(std::string_view("refs/heads/").size());
  std::vector<std::string> candidates;
  if (!name.empty()) candidates.push_back(fmt::format("refs/heads/{}^{{commit}}", name));
  if (LooksLikeObjectId(ref_or_sha)) candidates.push_back(fmt::format("{}^{{commit}}", ref_or_sha));
  for (const std::string& candidate : candidates) {
    // --verify --quiet: exit 1 and no output when the name does not resolve to a commit.
    ProcessResult result =
        TRY(RunGit({.args = {"rev-parse", "--verify", "--quiet", "--end-of-options", candidate},
                    .git_dir = path_}));
    if (result.timed_out) {
      return Unexpected(ErrorCode::kTimeout, "git rev-parse did not finish in " + path_);
    }
    std::string sha = TrimNewline(result.stdout_data);
    if (result.Succeeded() && LooksLikeObjectId(sha)) return sha;
    // Exit 1 is "no such commit"; anything else is git failing (a broken repository).
    if (result.exit_code != 1) {
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("cannot resolve '{}' in {}: git says: {}", ref_or_sha, path_,
                                    SummarizeStderr(result.stderr_data)));
    }
  }
  return Unexpected(ErrorCode::kNotFound,
                    fmt::format("no branch or commit '{}' in {}", ref_or_sha, path_));
}

Result<std::string> BareRepository::ReadFile(std::string_view commit, std::string_view path,
                                             size_t max_bytes) const {
  std::string file = TRY(ValidateTreePath(path, /*allow_root=*/false));
  std::string sha = TRY(ResolveCommit(commit));
  std::optional<RawTreeEntry> entry = TRY(Lookup(path_, sha, file));
  if (!entry) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("'{}' does not exist at commit {}", file, Short(sha)));
  }
  if (entry->kind != EntryKind::kFile) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' at commit {} is a {}, not a file", file, Short(sha),
                                  EntryKindName(entry->kind)));
  }
  if (entry->size > max_bytes) {
    return Unexpected(ErrorCode::kTooLarge,
                      fmt::format("'{}' at commit {} has {} bytes, more than the limit of {}", file,
                                  Short(sha), entry->size, max_bytes));
  }
  ProcessResult result =
      TRY(RunGitChecked({.args = {"cat-file", "blob", entry->object},
                         .git_dir = path_,
                         .max_output_bytes = max_bytes + 1},
                        fmt::format("cannot read '{}' at commit {}", file, Short(sha))));
  // The size was checked above; a blob cannot change, so this only catches a broken git.
  if (result.output_truncated || result.stdout_data.size() != entry->size) {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("git returned {} bytes for '{}', expected {}",
                                  result.stdout_data.size(), file, entry->size));
  }
  return std::move(result.stdout_data);
}

Result<EntryKind> BareRepository::Stat(std::string_view commit, std::string_view path) const {
  std::string file = TRY(ValidateTreePath(path, /*allow_root=*/true));
  std::string sha = TRY(ResolveCommit(commit));
  if (file.empty()) return EntryKind::kDirectory;
  std::optional<RawTreeEntry> entry = TRY(Lookup(path_, sha, file));
  return entry ? entry->kind : EntryKind::kMissing;
}

Result<std::vector<TreeEntry>> BareRepository::ListTree(std::string_view commit,
                                                        std::string_view dir) const {
  std::string directory = TRY(ValidateTreePath(dir, /*allow_root=*/true));
  std::string sha = TRY(ResolveCommit(commit));
  std::string tree = sha;  // ls-tree takes a commit for its root tree
  if (!directory.empty()) {
    std::optional<RawTreeEntry> entry = TRY(Lookup(path_, sha, directory));
    if (!entry) {
      return Unexpected(ErrorCode::kNotFound,
                        fmt::format("'{}' does not exist at commit {}", directory, Short(sha)));
    }
    if (entry->kind != EntryKind::kDirectory) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' at commit {} is a {}, not a directory", directory,
                                    Short(sha), EntryKindName(entry->kind)));
    }
    tree = entry->object;
  }
  ProcessResult result =
      TRY(RunGitChecked({.args = {"ls-tree", "-z", "-l", "--full-tree", tree}, .git_dir = path_},
                        fmt::format("cannot list '{}' at commit {}", directory, Short(sha))));
  std::vector<RawTreeEntry> raw = TRY(ParseLsTree(result.stdout_data));
  std::vector<TreeEntry> entries;
  entries.reserve(raw.size());
  for (RawTreeEntry& item : raw) {
    TreeEntry entry;
    entry.name = std::move(item.path);
    entry.kind = item.kind;
    entry.executable = item.kind == EntryKind::kFile && item.mode == "100755";
    entry.size = item.size;
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const TreeEntry& a, const TreeEntry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace yard::git
