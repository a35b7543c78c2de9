#include "projects/project_service.h"

#include <filesystem>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/names.h"
#include "git/bare_repository.h"
#include "git/remote_url.h"
#include "manifest/manifest.h"
#include "projects/git_repository_view.h"

namespace yard::projects {
namespace {

constexpr size_t kMaxManifestBytes = 1024 * 1024;

store::SourceKind KindOfSource(const std::string& source) {
  if (source.empty()) return store::SourceKind::kHosted;
  if (source.front() == '/' || source.starts_with("file://")) return store::SourceKind::kLocal;
  return store::SourceKind::kRemote;
}

void RemoveTree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) log::Warn("cannot remove {}: {}", path, error.message());
}

// Reads and validates the manifest at one commit.
BranchStatus CheckBranch(const git::BareRepository& repository, git::Branch branch) {
  BranchStatus status{std::move(branch), ManifestState::kMissing, {}};
  auto text = repository.ReadFile(status.branch.commit, manifest::kManifestFileName,
                                  kMaxManifestBytes);
  if (!text) {
    if (text.error().code != ErrorCode::kNotFound) {
      status.manifest = ManifestState::kInvalid;
      status.diagnostics.push_back({.file = std::string(manifest::kManifestFileName),
                                    .message = text.error().message});
    }
    return status;
  }
  GitRepositoryView view(repository, status.branch.commit);
  manifest::ParseResult parsed =
      manifest::LoadManifest(*text, std::string(manifest::kManifestFileName), &view);
  status.manifest = parsed.ok() ? ManifestState::kValid : ManifestState::kInvalid;
  if (parsed.ok()) status.stages = std::move(parsed.stack.stages);
  status.diagnostics = std::move(parsed.diagnostics);
  return status;
}

}  // namespace

std::string_view ManifestStateName(ManifestState state) {
  switch (state) {
    case ManifestState::kValid: return "valid";
    case ManifestState::kInvalid: return "invalid";
    case ManifestState::kMissing: return "missing";
  }
  return "missing";
}

std::string ProjectService::RepoPath(const std::string& name) const {
  return fs::Join(options_.repos_dir, name + ".git");
}

std::mutex& ProjectService::RefreshLock(int64_t project_id) {
  std::lock_guard lock(locks_mutex_);
  auto& entry = refresh_locks_[project_id];
  if (!entry) entry = std::make_unique<std::mutex>();
  return *entry;
}

Result<store::Project> ProjectService::Create(const CreateRequest& request,
                                              const store::User& creator) {
  TRY(ValidateName(request.name, "project name"));
  store::SourceKind kind = KindOfSource(request.source);
  if (kind != store::SourceKind::kHosted) TRY(git::ValidateRemoteUrl(request.source));
  // Fail fast on a taken name, before a possibly long clone. The insert below still decides.
  if (store_.FindByName(request.name)) {
    return Unexpected(ErrorCode::kAlreadyExists,
                      fmt::format("project '{}' already exists", request.name));
  }
  TRY(fs::CreateDirectories(options_.repos_dir, 0700));
  std::string path = RepoPath(request.name);
  if (fs::Exists(path)) {
    // No project owns it (checked above): a leftover of a crash between clone and insert.
    log::Warn("removing {}, left over from an earlier attempt", path);
    RemoveTree(path);
  }

  if (kind == store::SourceKind::kHosted) {
    TRY(git::BareRepository::Init(path));
  } else {
    auto mirrored = git::BareRepository::Mirror(request.source, path, options_.mirror_timeout);
    if (!mirrored) {
      // "No repository there" and "it wants credentials" are problems with the source the
      // user gave, not a missing API route or a bad API token: report them as such.
      ErrorCode code = mirrored.error().code;
      if (code == ErrorCode::kNotFound || code == ErrorCode::kPermissionDenied) {
        code = ErrorCode::kInvalidArgument;
      }
      return Unexpected(code, mirrored.error().message);
    }
    git::BareRepository& repository = *mirrored;
    // A project without a manifest anywhere is almost certainly the wrong repository.
    auto branches = repository.Branches();
    Status usable = Ok();
    if (!branches) {
      usable = Unexpected(branches.error());
    } else if (branches->empty()) {
      usable = Unexpected(ErrorCode::kFailedPrecondition,
                          fmt::format("{} has no branches; push some code first, or create a "
                                      "hosted project and push to it",
                                      request.source));
    } else {
      bool found = false;
      for (const auto& branch : *branches) {
        auto kind_at_head = repository.Stat(branch.commit, manifest::kManifestFileName);
        found = found || (kind_at_head && *kind_at_head == git::EntryKind::kFile);
      }
      if (!found) {
        usable = Unexpected(ErrorCode::kFailedPrecondition,
                            fmt::format("no branch of {} has a {} at its root; add one (see "
                                        "docs/manifest.md) and try again",
                                        request.source, manifest::kManifestFileName));
      }
    }
    if (!usable) {
      RemoveTree(path);
      return Unexpected(usable.error());
    }
  }

  auto project = store_.Create(store::Project{.name = request.name,
                                              .source_kind = kind,
                                              .source_url = request.source,
                                              .repo_path = path,
                                              .created_by = creator.id});
  if (!project) {
    RemoveTree(path);
    return Unexpected(project.error());
  }
  if (kind != store::SourceKind::kHosted) TRY(store_.RecordRefresh(project->id, ""));
  return store_.FindByName(request.name);
}

Result<store::Project> ProjectService::Find(const std::string& name, const store::User& user) {
  auto project = store_.FindByName(name);
  if (!project) return project;
  if (user.role == store::Role::kAdmin) return project;
  if (TRY(store_.RoleOf(project->id, user.id))) return project;
  return Unexpected(ErrorCode::kNotFound, fmt::format("no project named '{}'", name));
}

Result<store::Project> ProjectService::FindAsOwner(const std::string& name,
                                                   const store::User& user) {
  store::Project project = TRY(Find(name, user));
  if (user.role == store::Role::kAdmin) return project;
  if (TRY(store_.RoleOf(project.id, user.id)) != store::MemberRole::kOwner) {
    return Unexpected(ErrorCode::kPermissionDenied,
                      fmt::format("only owners of '{}' (or admins) may do this", name));
  }
  return project;
}

Result<std::vector<store::Project>> ProjectService::List(const store::User& user) {
  if (user.role == store::Role::kAdmin) return store_.List();
  return store_.ListForUser(user.id);
}

Result<ProjectDetails> ProjectService::Describe(const store::Project& project) {
  auto repository = TRY_CTX(git::BareRepository::Open(project.repo_path),
                            fmt::format("project '{}'", project.name));
  ProjectDetails details{project, {}};
  for (auto& branch : TRY(repository.Branches())) {
    details.branches.push_back(CheckBranch(repository, std::move(branch)));
  }
  return details;
}

Status ProjectService::Refresh(const store::Project& project) {
  if (project.source_kind == store::SourceKind::kHosted) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("project '{}' is hosted: its code arrives by push, there is "
                                  "nothing to fetch",
                                  project.name));
  }
  {
    std::lock_guard lock(RefreshLock(project.id));
    auto repository = TRY(git::BareRepository::Open(project.repo_path));
    Status fetched = repository.Fetch(project.source_url, options_.mirror_timeout);
    TRY(store_.RecordRefresh(project.id, fetched ? "" : fetched.error().message));
    if (!fetched) return fetched;
  }
  if (options_.fetched) options_.fetched(project);
  return Ok();
}

Status ProjectService::RefreshById(int64_t project_id) {
  store::Project project = TRY(store_.Find(project_id));
  return Refresh(project);
}

void ProjectService::RefreshAll(const std::function<bool()>& stop_requested) {
  auto projects = store_.List();
  if (!projects) {
    log::Warn("periodic refresh: {}", projects.error().message);
    return;
  }
  for (const auto& project : *projects) {
    if (stop_requested()) return;
    if (project.source_kind == store::SourceKind::kHosted) continue;
    if (Status status = Refresh(project); !status) {
      log::Warn("refreshing project '{}': {}", project.name, status.error().message);
    }
  }
}

Status ProjectService::Delete(const store::Project& project) {
  // The row goes first: a repository without a row is cleaned up by the next Create of that
  // name, while a row without a repository would be a broken project.
  TRY(store_.Delete(project.id));
  RemoveTree(project.repo_path);
  return Ok();
}

}  // namespace yard::projects
