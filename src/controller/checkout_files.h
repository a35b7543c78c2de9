#pragma once

// Files in a code volume, as the host reaches them: the volume is written from inside
// containers, so a directory on the way to a file may have become a symlink to anywhere on
// the host. Every call here walks from the checkout's root one component at a time with
// openat(O_NOFOLLOW) and never follows a symlink. Used by code_sync.cc.

#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"

namespace yard::controller {

/// One index entry, as `git ls-files -s -t` lists it.
struct IndexEntry {
  char tag = 'H';    // H: cached; S: skip-worktree (sparse checkout, not in the work tree)
  std::string mode;  // "100644", "100755", "120000" (symlink), "160000" (submodule)
  std::string id;    // the blob's object id (SHA-1, or SHA-256 when 64 digits)
  int stage = 0;     // non-zero: unmerged
  std::string path;  // relative to the work tree's root
};

/// Opens the checkout's root directory `dir` for the calls below (not following a symlink at
/// `dir` itself). Invalid on failure, with errno set.
UniqueFd OpenCheckoutRoot(const std::string& dir);

/// Whether the work tree holds what `entry` says: for a regular file its content hashed as git
/// hashes a blob, and its executable bit; for a symlink its target. Decided without running
/// git, so that no filter the checkout's config names runs, and independent of stat data, so
/// that a touched but unchanged file (or a racily clean one) counts as unchanged. A file that
/// git would filter on the way in (eol conversion, LFS) counts as changed, which errs on the
/// side that leaves the checkout alone. Submodules and skip-worktree entries always match.
bool WorkTreeMatches(int root, const IndexEntry& entry);

/// Whether anything (file, directory, symlink) is at `relative` beneath `root`.
bool ExistsBeneath(int root, std::string_view relative);

/// git runs as this process's user. In a checkout that belongs to another user (the one a
/// container runs as), what it creates (object directories, packs, refs, the index, the files
/// a fast-forward writes) would be unwritable for that user: `git commit` inside the container
/// would fail on a root-owned objects/xx directory. This gives every entry this process owns
/// under `dir`/.git to the owner of .git, and the paths `written` (relative to `dir`) and the
/// directories on the way to them to the owner of `dir`. Only root can; for anyone else it
/// does nothing (they create files as themselves). Failures are logged, not returned: the
/// files are in place either way.
void HandOverToOwners(const std::string& dir, const std::vector<std::string>& written);

}  // namespace yard::controller
