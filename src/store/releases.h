#pragma once

// The releases table: what a deployment ran, in order. A release is a commit and the images
// built from it, with the deployment's params and env overrides at the time. It comes from a
// build, from an earlier release brought back (rollback), or from another deployment of the
// same project (promotion); the last two reuse images and build nothing.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

enum class ReleaseKind { kBuild, kRollback, kPromotion };
std::string_view ReleaseKindName(ReleaseKind kind);

struct Release {
  int64_t id = 0;
  int64_t deployment_id = 0;
  int64_t number = 0;  // 1, 2, ... per deployment; assigned by Activate
  std::string commit;
  std::map<std::string, std::string> images;  // service id -> image reference
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> env;
  ReleaseKind kind = ReleaseKind::kBuild;
  std::optional<int64_t> build_id;
  std::string source;  // rollback: "release 3"; promotion: "staging release 7"
  int64_t created_at = 0;
  std::optional<int64_t> created_by;  // a user id; nullopt: the platform
  std::string created_by_name;        // read from users; "" for the platform
};

/// Thread-safe (the Database serialises).
class ReleaseStore {
 public:
  ReleaseStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Records `release` as the deployment's newest (number, time assigned) and makes it the one
  /// that runs, in one transaction: the deployment's release commit and images become the
  /// release's, and its release nonce its build nonce (nothing is left to build). With
  /// `retarget` (rollback, promotion), its target commit becomes the release's commit too; its
  /// followed commit is left alone, so the next push to its branch rolls forward again.
  Result<Release> Activate(Release release, bool retarget);
  /// The deployment's releases, newest first.
  Result<std::vector<Release>> List(int64_t deployment_id, int limit);
  /// kNotFound when the deployment has no release of that number.
  Result<Release> Find(int64_t deployment_id, int64_t number);
  /// Every image named by the newest `keep` releases of every deployment, and by what each
  /// deployment runs now: what image pruning must keep.
  Result<std::set<std::string>> ImagesToKeep(int keep);

 private:
  Result<std::vector<Release>> Query(const std::string& where_and_order,
                                     const std::vector<std::string>& args);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
