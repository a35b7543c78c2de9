#include "deployments/previews.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "base/log.h"
#include "base/names.h"
#include "controller/release_inputs.h"
#include "git/bare_repository.h"
#include "git/hooks.h"
#include "manifest/durations.h"

namespace yard::deployments {
namespace {

constexpr std::string_view kPrefix = "preview-";
constexpr size_t kHashLength = 6;

// FNV-1a: short, stable across builds and machines, and enough to tell branches apart in a
// name; nothing relies on it being hard to collide (a taken name is checked).
std::string ShortHash(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return fmt::format("{:08x}", hash).substr(0, kHashLength);
}

std::string Slug(const std::string& branch) {
  std::string slug;
  for (char c : branch) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    if (keep) {
      slug += lower;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

// The branch a deployment made without one follows: main, then master, then the first
// (as DeploymentService::Create chooses).
const git::Branch& DefaultBranch(const std::vector<git::Branch>& branches) {
  for (const char* preferred : {"main", "master"}) {
    for (const git::Branch& branch : branches) {
      if (branch.name == preferred) return branch;
    }
  }
  return branches.front();
}

Status Invalid(std::string message) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

std::string PreviewName(const std::string& branch,
                        const std::function<bool(const std::string&)>& taken) {
  std::string slug = Slug(branch);
  std::string name = std::string(kPrefix) + slug;
  if (!slug.empty() && name.size() <= kMaxNameLength && !taken(name)) return name;
  // Room for the prefix, '-' and the hash.
  std::string cut = slug.substr(0, kMaxNameLength - kPrefix.size() - 1 - kHashLength);
  while (!cut.empty() && cut.back() == '-') cut.pop_back();
  std::string stem = std::string(kPrefix) + cut + (cut.empty() ? "" : "-");
  for (int attempt = 0;; ++attempt) {
    name = stem + ShortHash(attempt == 0 ? branch : fmt::format("{}#{}", branch, attempt));
    // A hash of digits only would still be a valid name: the prefix starts with a letter.
    if (!taken(name) || attempt >= 100) return name;
  }
}

Status Previews::Configure(const store::Project& project, const PreviewSettings& settings,
                           const store::User& user) {
  std::lock_guard lock(mutex_);
  if (settings.pattern.empty()) {
    TRY(stores_.projects.SetPreviews(project.id, "", "", project.preview_ttl_seconds));
    TRY(stores_.branches.Reset(project.id, {}));
    log::Info("project {}: previews turned off by {}", project.name, user.name);
    return Ok();
  }
  TRY(git::ValidateBranchPattern(settings.pattern));
  if (settings.ttl_seconds < kMinPreviewTtlSeconds ||
      settings.ttl_seconds > kMaxPreviewTtlSeconds) {
    return Invalid(fmt::format("previews must expire between 1h and 365d after a push, not {}",
                               manifest::FormatDuration(settings.ttl_seconds)));
  }
  if (settings.stage.empty()) return Invalid("say which stage previews run");
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  std::vector<git::Branch> branches = TRY(repository.Branches());
  if (branches.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("project '{}' has no branches yet: push one first",
                                  project.name));
  }
  const git::Branch& base = DefaultBranch(branches);
  manifest::ParseResult parsed = TRY_CTX(controller::LoadStackAt(repository, base.commit),
                                         fmt::format("branch '{}'", base.name));
  if (controller::FindStage(parsed.stack, settings.stage) == nullptr) {
    std::vector<std::string> stages;
    for (const manifest::Stage& stage : parsed.stack.stages) stages.push_back(stage.id);
    return Invalid(fmt::format("the stack on branch '{}' has no stage '{}'; stages: {}",
                               base.name, settings.stage, fmt::join(stages, ", ")));
  }
  // The baseline: what exists now is not a push.
  std::map<std::string, std::string> heads;
  for (const git::Branch& branch : branches) {
    if (git::BranchMatches(settings.pattern, branch.name)) heads[branch.name] = branch.commit;
  }
  TRY(stores_.branches.Reset(project.id, heads));
  TRY(stores_.projects.SetPreviews(project.id, settings.pattern, settings.stage,
                                   settings.ttl_seconds));
  log::Info("project {}: previews of {} in stage {}, expiring {} after a push, set by {}",
            project.name, settings.pattern, settings.stage,
            manifest::FormatDuration(settings.ttl_seconds), user.name);
  return Ok();
}

Status Previews::OnPush(const store::Project& pushed, std::optional<int64_t> pusher) {
  std::lock_guard lock(mutex_);
  // The settings now, not those of the caller's copy (a fetch may have started before a
  // change).
  const store::Project project = TRY(stores_.projects.Find(pushed.id));
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  std::map<std::string, git::Branch> branches;
  for (git::Branch& branch : TRY(repository.Branches())) {
    branches.emplace(branch.name, std::move(branch));
  }
  std::vector<store::Deployment> previews = TRY(stores_.deployments.ListPreviews(project.id));

  // Deleted branches take their previews with them, whatever the settings are now.
  for (const store::Deployment& d : previews) {
    if (d.desired == store::Desired::kDeleted || branches.contains(*d.preview_branch)) continue;
    if (Status deleted = service_.Delete(d); !deleted) {
      log::Warn("{}/{}: {}", d.project, d.name, deleted.error().message);
    } else {
      log::Info("{}/{}: branch {} was deleted; deleting its preview", d.project, d.name,
                *d.preview_branch);
    }
  }
  std::map<std::string, std::string> seen = TRY(stores_.branches.Heads(project.id));
  for (const auto& [branch, head] : seen) {
    // A branch of the same name pushed later is a new one.
    if (!branches.contains(branch)) TRY(stores_.branches.Forget(project.id, branch));
  }
  if (project.preview_pattern.empty()) return Ok();

  const int64_t expires_at = clock_.NowUnix() + project.preview_ttl_seconds;
  for (const auto& [name, branch] : branches) {
    if (!git::BranchMatches(project.preview_pattern, name)) continue;
    auto last = seen.find(name);
    if (last != seen.end() && last->second == branch.commit) continue;
    // Pushed to since last seen.
    auto live = std::find_if(previews.begin(), previews.end(), [&](const store::Deployment& d) {
      return d.preview_branch == name && d.desired != store::Desired::kDeleted;
    });
    if (live != previews.end()) {
      TRY(stores_.deployments.SetExpiry(live->id, expires_at));
      log::Info("{}/{}: {} moved; the preview now expires at {}", live->project, live->name,
                name, FormatTimestamp(expires_at));
    } else if (Status created = CreatePreview(project, branch, pusher, expires_at); !created) {
      // The head is recorded all the same: the next push tries again, not every later call.
      log::Warn("project {}: no preview of {}: {}", project.name, name, created.error().message);
    }
    TRY(stores_.branches.Record(project.id, name, branch.commit));
  }
  return Ok();
}

Status Previews::CreatePreview(const store::Project& project, const git::Branch& branch,
                               std::optional<int64_t> pusher, int64_t expires_at) {
  std::set<std::string> names;
  for (const store::Deployment& d : TRY(stores_.deployments.ListForProject(project.id))) {
    names.insert(d.name);
  }
  std::string name =
      PreviewName(branch.name, [&names](const std::string& n) { return names.contains(n); });
  store::User creator = TRY(Creator(project, pusher));
  CreateRequest request{.name = name,
                        .stage = project.preview_stage,
                        .branch = branch.name,
                        .preview_branch = branch.name,
                        .expires_at = expires_at};
  store::Deployment d = TRY(service_.Create(project, request, creator));
  log::Info("{}/{}: preview of {} ({}) created for {}; expires at {}", d.project, d.name,
            branch.name, branch.commit.substr(0, 12), creator.name, FormatTimestamp(expires_at));
  return Ok();
}

Result<store::User> Previews::Creator(const store::Project& project,
                                      std::optional<int64_t> pusher) {
  if (pusher) {
    auto user = stores_.users.Get(*pusher);
    if (user) return user;
    if (user.error().code != ErrorCode::kNotFound) return Unexpected(user.error());
  }
  // A fetch has no pusher: the project's creator, who cannot be deleted while it exists.
  return stores_.users.Get(project.created_by);
}

Status Previews::Sweep() {
  std::lock_guard lock(mutex_);
  for (const store::Deployment& d : TRY(stores_.deployments.ListExpired(clock_.NowUnix()))) {
    if (Status deleted = service_.Delete(d); !deleted) {
      log::Warn("{}/{}: {}", d.project, d.name, deleted.error().message);
      continue;
    }
    log::Info("{}/{}: expired at {}; deleting it", d.project, d.name,
              FormatTimestamp(d.expires_at.value_or(0)));
  }
  return Ok();
}

}  // namespace yard::deployments
