#pragma once

// Parsers for the machine-readable output of the git commands BareRepository runs, and checks
// on the text we pass to them. Pure functions, testable without git.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "git/objects.h"

namespace yard::git {

/// The `--format` BareRepository passes to `git for-each-ref`; fields end with NUL.
extern const char* const kBranchFormat;

/// Parses `git for-each-ref --format=<kBranchFormat> refs/heads/` output. kInternal when the
/// text does not have that shape.
Result<std::vector<Branch>> ParseBranches(std::string_view output);

/// One record of `git ls-tree -z -l`.
struct RawTreeEntry {
  std::string mode;    // "100644", "100755", "120000", "040000", "160000"
  std::string type;    // "blob", "tree", "commit"
  std::string object;  // hex object id
  uint64_t size = 0;   // "-" (trees, gitlinks) parses as 0
  std::string path;    // as given to or listed by ls-tree
  EntryKind kind = EntryKind::kMissing;
};

/// Parses `git ls-tree -z -l` output. kInternal when a record is malformed.
Result<std::vector<RawTreeEntry>> ParseLsTree(std::string_view output);

/// Checks a path inside a commit's tree: relative, '/'-separated, no empty, "." or ".."
/// components, no NUL or other control characters, at most 4096 bytes. "" (the root) is
/// allowed only when `allow_root`. Returns the path without a trailing '/'.
/// kInvalidArgument otherwise.
Result<std::string> ValidateTreePath(std::string_view path, bool allow_root);

/// Checks a branch name or commit id given by a caller before it reaches git's command line:
/// non-empty, at most 255 bytes, no leading '-', no control characters, spaces or any of
/// `~^:?*[\`, no "..", "@{", "//", no leading or trailing '/' or '.', no ".lock" suffix.
/// kInvalidArgument otherwise.
Status ValidateRefText(std::string_view text);

/// True for 4 to 64 hexadecimal digits (an abbreviated or full SHA-1 / SHA-256 object id).
bool LooksLikeObjectId(std::string_view text);

}  // namespace yard::git
