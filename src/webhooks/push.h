#pragma once

// The part of a push event's payload that Stackyard acts on. GitHub, GitLab, Gitea and
// Forgejo agree on it: "ref", "before" and "after" at the top level, an all-zero commit id
// for a side that does not exist (a created or deleted ref); GitHub, Gitea and Forgejo add
// "created" and "deleted".

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::webhooks {

struct Push {
  std::string ref;     // "refs/heads/main", "refs/tags/v1"
  std::string before;  // the ref's commit before the push; all zeros when it was created
  std::string after;   // after the push; all zeros when it was deleted
  bool created = false;
  bool deleted = false;

  /// "main" for "refs/heads/main"; empty for tags and other refs.
  std::string Branch() const;
};

/// Reads a push payload (a JSON object). kInvalidArgument, with the reason, for a body that
/// is not JSON (form-encoded payloads are named as such), or that lacks a ref or commit ids of
/// the right shape (40 or 64 hex digits).
Result<Push> ParsePush(std::string_view body);

}  // namespace yard::webhooks
