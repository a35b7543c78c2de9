#pragma once

// The preview_branches table: for each project with preview deployments, the heads of the
// branches matching its pattern that have been seen already. A matching branch whose head is
// not the one recorded here was pushed to (deployments/previews.h).

#include <cstdint>
#include <map>
#include <string>

#include "base/result.h"
#include "store/database.h"

namespace yard::store {

/// Thread-safe (the Database serialises).
class PreviewBranchStore {
 public:
  explicit PreviewBranchStore(Database& db) : db_(db) {}

  /// Branch name -> head last seen, for the project.
  Result<std::map<std::string, std::string>> Heads(int64_t project_id);
  /// Records `head` as the branch's last seen head.
  Status Record(int64_t project_id, const std::string& branch, const std::string& head);
  /// Forgets the branch (it was deleted: a branch of the same name later is a new one).
  Status Forget(int64_t project_id, const std::string& branch);
  /// Replaces everything recorded for the project with `heads`, in one transaction.
  Status Reset(int64_t project_id, const std::map<std::string, std::string>& heads);

 private:
  Database& db_;
};

}  // namespace yard::store
