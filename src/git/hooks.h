#pragma once

// Stackyard's receive hooks, for pushes over SSH. git-receive-pack runs with
// `-c core.hooksPath=DATA_DIR/git/hooks`, where WriteHooks puts two scripts that exec
// `yard internal git-hook pre-receive|post-receive`, which calls RunHook:
//  - pre-receive applies the project's branch protection (CheckRefUpdate) to every ref update
//    and refuses the whole push when one breaks it;
//  - post-receive appends the updated refs to the push report, which the SSH gateway reads
//    once receive-pack has finished and records as push events.
// The gateway passes the settings to the hooks in the environment (ProtectionEnvironment).

#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace yard::git {

/// A project's branch protection (store::Project's fields of the same names).
struct BranchProtection {
  /// Branch names or globs: `*` and `?` stay within one `/`-separated segment
  /// (`release/*`), `**` crosses segments (`release/**`). Matched against the branch name
  /// without `refs/heads/`. Tags are never protected.
  std::vector<std::string> patterns;
  bool deny_force_push = true;
  bool deny_delete = true;
};

/// Checks one protected-branch pattern as a user gives it (a leading `refs/heads/` is the
/// caller's to strip): 1 to 200 characters, none of them whitespace, control characters or
/// `~^:\`, no `..` or `//`, no leading `-` or `/`, no trailing `/`, `.` or `.lock`.
Status ValidateBranchPattern(std::string_view pattern);

/// One line of what git gives the hooks: `OLD NEW REF`, all-zero OLD for a new ref, all-zero
/// NEW for a deleted one.
struct RefUpdate {
  std::string old_commit;
  std::string new_commit;
  std::string ref;

  bool created() const;
  bool deleted() const;
  /// "main" for refs/heads/main; nullopt for refs that are not branches.
  std::optional<std::string> branch() const;
};

/// Parses complete `OLD NEW REF` lines; a last line without its newline (a writer cut short)
/// and malformed lines are skipped.
std::vector<RefUpdate> ParseRefUpdates(std::string_view text);

/// Whether `branch` (without `refs/heads/`) matches `pattern`, a name or glob as
/// BranchProtection::patterns holds them (also preview deployments' patterns).
bool BranchMatches(const std::string& pattern, const std::string& branch);

/// The pattern that protects `update`'s branch, or nullopt.
std::optional<std::string> ProtectingPattern(const BranchProtection& protection,
                                             const RefUpdate& update);

/// Asks whether the first commit is an ancestor of the second.
using IsAncestor =
    std::function<Result<bool>(const std::string& ancestor, const std::string& descendant)>;

/// The policy: Ok, or kPermissionDenied with the refusal for the pusher ("refusing a
/// force-push to protected branch main"). `is_ancestor` is asked only for an update of a
/// protected branch that must not be forced; its failure refuses the update too. Pure apart
/// from `is_ancestor`.
Status CheckRefUpdate(const BranchProtection& protection, const RefUpdate& update,
                      const IsAncestor& is_ancestor);

/// Environment variables that carry the protection and the project name to the hooks.
std::map<std::string, std::string> ProtectionEnvironment(const BranchProtection& protection,
                                                         const std::string& project);
/// Where post-receive appends the updated refs (`OLD NEW REF` lines).
inline constexpr const char* kPushReportVariable = "YARD_PUSH_REPORT";

/// Writes DIR/pre-receive and DIR/post-receive (mode 0755, atomically; DIR is created), each
/// `exec 'YARD_BINARY' internal git-hook NAME`. Called at every start, so that the scripts
/// follow the binary when it moves.
Status WriteHooks(const std::string& dir, const std::string& yard_binary);

/// The body of `yard internal git-hook NAME`, run by git-receive-pack in the repository with
/// git's ref lines on `input`. Messages go to `err` (git shows them to the pusher as
/// `remote:` lines). Returns the exit code: pre-receive 1 refuses the push.
int RunHook(std::string_view name, std::istream& input, std::ostream& err);

}  // namespace yard::git
