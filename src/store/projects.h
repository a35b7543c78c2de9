#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

/// Where a project's code comes from.
enum class SourceKind {
  kRemote,  // mirrored from a Git URL; refreshed on demand and periodically
  kLocal,   // mirrored from a repository on the server's filesystem
  kHosted,  // the server's own repository; code arrives by `git push`
};

std::string_view SourceKindName(SourceKind kind);
Result<SourceKind> ParseSourceKind(std::string_view name);

enum class MemberRole { kOwner, kMember };

std::string_view MemberRoleName(MemberRole role);
/// "owner" or "member"; kInvalidArgument otherwise.
Result<MemberRole> ParseMemberRole(std::string_view name);

/// How long a preview deployment lives after its branch's last push, unless set: a week.
inline constexpr int64_t kDefaultPreviewTtlSeconds = 7 * 24 * 3600;

struct Project {
  int64_t id = 0;
  std::string name;
  SourceKind source_kind = SourceKind::kHosted;
  std::string source_url;  // empty for hosted projects
  std::string repo_path;   // the bare repository under the data dir
  int64_t created_at = 0;
  int64_t created_by = 0;  // user id
  std::optional<int64_t> refreshed_at;
  std::string refresh_error;  // empty when the last refresh succeeded
  /// Branch names or globs ("release/*") that pushes over SSH may not force or delete, as the
  /// two flags below say (git/hooks.h applies them).
  std::vector<std::string> protected_branches;
  bool deny_force_push = true;
  bool deny_delete = true;
  /// Preview deployments (deployments/previews.h): a branch glob as above ('' = off), the
  /// stage previews run, and how long a preview lives after its branch's last push.
  std::string preview_pattern;
  std::string preview_stage;
  int64_t preview_ttl_seconds = kDefaultPreviewTtlSeconds;
};

/// A user's membership of a project.
struct Member {
  int64_t user_id = 0;
  std::string user_name;
  MemberRole role = MemberRole::kMember;
  int64_t added_at = 0;
};

/// The projects and project_members tables. Thread-safe.
class ProjectStore {
 public:
  ProjectStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Inserts the project and makes `project.created_by` its owner, in one transaction.
  /// kAlreadyExists when the name is taken.
  Result<Project> Create(Project project);
  /// kNotFound when absent.
  Result<Project> FindByName(const std::string& name);
  Result<Project> Find(int64_t id);
  Result<std::vector<Project>> List();
  /// Projects `user_id` is a member of.
  Result<std::vector<Project>> ListForUser(int64_t user_id);
  /// The user's role in the project, or nullopt when not a member.
  Result<std::optional<MemberRole>> RoleOf(int64_t project_id, int64_t user_id);
  /// Makes the user a member with `role`, or changes the role of a member. Returns true when
  /// the user was added. kFailedPrecondition when that would leave the project without an
  /// owner.
  Result<bool> AddMember(int64_t project_id, int64_t user_id, MemberRole role);
  /// kNotFound when the user is not a member; kFailedPrecondition for the last owner.
  Status RemoveMember(int64_t project_id, int64_t user_id);
  /// Owners first, then by name.
  Result<std::vector<Member>> ListMembers(int64_t project_id);
  /// Replaces the branch protection settings.
  Status SetProtection(int64_t project_id, const std::vector<std::string>& protected_branches,
                       bool deny_force_push, bool deny_delete);
  /// Replaces the preview settings; an empty pattern turns previews off.
  Status SetPreviews(int64_t project_id, const std::string& pattern, const std::string& stage,
                     int64_t ttl_seconds);
  /// Records the outcome of a refresh; an empty error means it succeeded.
  Status RecordRefresh(int64_t project_id, const std::string& error);
  Status Delete(int64_t project_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
