#include "deployments/deployment_service.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "base/names.h"
#include "edge/domain_names.h"
#include "git/bare_repository.h"
#include "manifest/manifest.h"
#include "projects/git_repository_view.h"

namespace yard::deployments {
namespace {

Status Invalid(std::string message) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

bool IsEnvName(std::string_view name) {
  if (name.empty() || name.size() > 128 || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Status CheckParam(const manifest::Param& param, const std::string& value) {
  auto whole = [&](auto parsed) {
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    return error == std::errc() && end == value.data() + value.size();
  };
  bool fits = true;
  switch (param.type) {
    case manifest::ParamType::kInteger: fits = whole(int64_t{}); break;
    case manifest::ParamType::kNumber: fits = whole(double{}); break;
    case manifest::ParamType::kBoolean: fits = value == "true" || value == "false"; break;
    case manifest::ParamType::kEnum:
      fits = std::find(param.values.begin(), param.values.end(), value) != param.values.end();
      if (!fits) {
        return Invalid(fmt::format("param '{}' must be one of: {}", param.id,
                                   fmt::join(param.values, ", ")));
      }
      break;
    default: break;
  }
  if (!fits) {
    return Invalid(fmt::format("param '{}' must be of type {}, got '{}'", param.id,
                               manifest::ParamTypeName(param.type), value));
  }
  if (value.size() > 64 * 1024 || value.find('\0') != std::string::npos) {
    return Invalid(fmt::format("param '{}' is too long or holds a NUL character", param.id));
  }
  if (secrets::IsSealed(value)) {
    return Invalid(fmt::format("param '{}': values starting with {} are reserved for sealed "
                               "secrets",
                               param.id, secrets::kSealedPrefix));
  }
  return Ok();
}

namespace {

// The valid stack at `commit`, or why there is none. `where` names the commit in messages
// ("branch 'main'").
Result<manifest::Stack> LoadStack(const git::BareRepository& repository, const std::string& commit,
                                  const std::string& where) {
  auto text = repository.ReadFile(commit, manifest::kManifestFileName, 1 << 20);
  if (!text) {
    return Unexpected(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} has no {}: {}", where, manifest::kManifestFileName, text.error().message));
  }
  projects::GitRepositoryView view(repository, commit);
  manifest::ParseResult parsed =
      manifest::LoadManifest(*text, std::string(manifest::kManifestFileName), &view);
  if (!parsed.ok()) {
    std::vector<std::string> errors;
    for (const auto& diagnostic : parsed.diagnostics) {
      if (diagnostic.severity == manifest::Severity::kError) {
        errors.push_back(manifest::FormatDiagnostic(diagnostic));
      }
    }
    return Unexpected(
        ErrorCode::kFailedPrecondition,
        fmt::format("the manifest on {} is invalid:\n{}", where, fmt::join(errors, "\n")));
  }
  return std::move(parsed.stack);
}

// The endpoint a domain is for: `requested`, which must exist in the stack, or the stack's
// only one.
Result<std::string> ChooseEndpoint(const manifest::Stack& stack, const std::string& requested) {
  std::vector<std::string> ids;
  for (const auto* services : {&stack.components, &stack.addons}) {
    for (const manifest::Service& service : *services) {
      for (const manifest::Endpoint& endpoint : service.endpoints) ids.push_back(endpoint.id);
    }
  }
  if (ids.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "the deployment's stack has no endpoints: declare one on a component "
                      "(endpoints: [{id: app}]) and rebuild");
  }
  if (requested.empty()) {
    if (ids.size() == 1) return ids.front();
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the stack has {} endpoints; say which one the domain is for: "
                                  "{}",
                                  ids.size(), fmt::join(ids, ", ")));
  }
  if (std::find(ids.begin(), ids.end(), requested) == ids.end()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the stack has no endpoint '{}'; endpoints: {}", requested,
                                  fmt::join(ids, ", ")));
  }
  return requested;
}

}  // namespace

Result<int64_t> ParseMemory(std::string_view text) {
  int64_t number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit(end, text.data() + text.size() - end);
  int64_t scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  if (unit == "k" || unit == "K" || unit == "KiB") scale = 1LL << 10;
  if (unit == "m" || unit == "M" || unit == "MiB") scale = 1LL << 20;
  if (unit == "g" || unit == "G" || unit == "GiB") scale = 1LL << 30;
  if (error != std::errc() || scale == 0 || number < 0 || number > (1LL << 50) / scale) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a memory size; write e.g. 512m or 2g", text));
  }
  int64_t bytes = number * scale;
  if (bytes != 0 && bytes < 6 * (1LL << 20)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("memory {} is too small: containers need at least 6m", text));
  }
  return bytes;
}

Result<int64_t> ParseCpus(std::string_view text) {
  double cpus = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpus);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(cpus) ||
      cpus < 0 || cpus > 1024) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a CPU count; write e.g. 0.5 or 2", text));
  }
  int64_t millis = std::llround(cpus * 1000);
  if (cpus > 0 && millis < 10) {
    return Unexpected(ErrorCode::kInvalidArgument, "a CPU limit under 0.01 cannot run anything");
  }
  return millis;
}

Result<store::Deployment> DeploymentService::Create(const store::Project& project,
                                                    const CreateRequest& request,
                                                    const store::User& creator) {
  TRY(ValidateName(request.name, "deployment"));
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  std::vector<git::Branch> branches = TRY(repository.Branches());
  if (branches.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("project '{}' has no branches yet: push one first", project.name));
  }
  std::string branch = request.branch;
  std::string commit;
  if (branch.empty()) {
    // The default branch: main, then master, then the first one.
    for (const char* preferred : {"main", "master"}) {
      for (const git::Branch& candidate : branches) {
        if (branch.empty() && candidate.name == preferred) branch = candidate.name;
      }
    }
    if (branch.empty()) branch = branches.front().name;
  }
  for (const git::Branch& candidate : branches) {
    if (candidate.name == branch) commit = candidate.commit;
  }
  if (commit.empty()) {
    std::vector<std::string> names;
    for (const git::Branch& candidate : branches) names.push_back(candidate.name);
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("project '{}' has no branch '{}'; branches: {}", project.name,
                                  branch, fmt::join(names, ", ")));
  }

  const manifest::Stack stack =
      TRY(LoadStack(repository, commit, fmt::format("branch '{}'", branch)));
  std::string stage = request.stage.empty() ? stack.stages.front().id : request.stage;
  bool known_stage = false;
  std::vector<std::string> stage_names;
  for (const manifest::Stage& candidate : stack.stages) {
    known_stage |= candidate.id == stage;
    stage_names.push_back(candidate.id);
  }
  if (!known_stage) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the stack has no stage '{}'; stages: {}", stage,
                                  fmt::join(stage_names, ", ")));
  }
  for (const auto& [id, value] : request.params) {
    auto param = std::find_if(stack.params.begin(), stack.params.end(),
                              [&](const manifest::Param& p) { return p.id == id; });
    if (param == stack.params.end()) {
      std::vector<std::string> ids;
      for (const manifest::Param& p : stack.params) ids.push_back(p.id);
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("the stack has no param '{}'{}", id,
                                    ids.empty() ? "" : fmt::format("; params: {}", fmt::join(ids, ", "))));
    }
    TRY(CheckParam(*param, value));
  }
  for (const manifest::Param& param : stack.params) {
    if (!param.default_value && !request.params.contains(param.id)) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("param '{}' has no default: give it a value", param.id));
    }
  }
  for (const auto& [key, value] : request.env) {
    if (!IsEnvName(key)) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not a valid variable name (letters, digits and _, "
                                    "not starting with a digit)",
                                    key));
    }
    if (value.find('\0') != std::string::npos || value.size() > 128 * 1024) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("the value of {} is too long or holds a NUL character", key));
    }
    if (secrets::IsSealed(value)) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("the value of {}: values starting with {} are reserved for "
                                    "sealed secrets",
                                    key, secrets::kSealedPrefix));
    }
  }
  if (request.cpu_millis < 0 || request.memory_bytes < 0) {
    return Unexpected(ErrorCode::kInvalidArgument, "size limits cannot be negative");
  }

  store::Deployment d;
  d.project_id = project.id;
  d.name = request.name;
  d.stage = stage;
  d.branch = branch;
  d.params = request.params;
  for (const manifest::Param& param : stack.params) {
    auto given = d.params.find(param.id);
    if (given != d.params.end() && param.type == manifest::ParamType::kSecret && secrets_) {
      given->second = TRY(secrets_->Seal(given->second));
    }
  }
  d.env = request.env;
  d.cpu_millis = request.cpu_millis;
  d.memory_bytes = request.memory_bytes;
  d.target_commit = commit;
  d.created_by = creator.id;
  d.preview_branch = request.preview_branch;
  d.expires_at = request.expires_at;
  store::Deployment created = TRY(store_.Create(std::move(d)));
  Wake(created.id);
  return created;
}

Result<std::vector<store::Deployment>> DeploymentService::List(const store::Project& project) {
  return store_.ListForProject(project.id);
}

Result<store::Deployment> DeploymentService::Find(const store::Project& project,
                                                  const std::string& name) {
  auto found = store_.FindByName(project.id, name);
  if (!found && found.error().code == ErrorCode::kNotFound) {
    return Unexpected(ErrorCode::kNotFound, fmt::format("project '{}' has no deployment '{}'",
                                                        project.name, name));
  }
  return found;
}

Status DeploymentService::Start(const store::Deployment& d) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  TRY(store_.SetDesired(d.id, store::Desired::kRunning));
  Wake(d.id);
  return Ok();
}

Status DeploymentService::Stop(const store::Deployment& d) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  TRY(store_.SetDesired(d.id, store::Desired::kStopped));
  Wake(d.id);
  return Ok();
}

Status DeploymentService::Restart(const store::Deployment& d, const std::string& service) {
  if (d.desired != store::Desired::kRunning) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the deployment is {}; start it instead",
                                  d.desired == store::Desired::kDeleted ? "being deleted"
                                                                        : "stopped"));
  }
  std::vector<std::string> services;
  for (const auto& [id, image] : d.release_images) services.push_back(id);
  if (!service.empty()) {
    if (!d.release_images.contains(service)) {
      return Unexpected(ErrorCode::kNotFound,
                        fmt::format("deployment '{}' has no service '{}'{}", d.name, service,
                                    services.empty()
                                        ? std::string(" (nothing runs yet)")
                                        : fmt::format("; services: {}", fmt::join(services, ", "))));
    }
    services = {service};
  }
  TRY(store_.BumpGenerations(d.id, services));
  Wake(d.id);
  return Ok();
}

Status DeploymentService::Redeploy(const store::Project& project, const store::Deployment& d) {
  if (d.desired != store::Desired::kRunning) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the deployment is {}; start it instead",
                                  d.desired == store::Desired::kDeleted ? "being deleted"
                                                                        : "stopped"));
  }
  if (d.release_commit.empty() || d.release_images.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "the deployment has no release yet (its first build has not finished): "
                      "nothing to redeploy");
  }
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  const manifest::Stack stack = TRY(LoadStack(
      repository, d.release_commit, fmt::format("commit {}", d.release_commit.substr(0, 12))));
  // A new generation of each component: new containers from the same images (plan.h).
  std::vector<std::string> components;
  for (const manifest::Service& component : stack.components) {
    if (d.release_images.contains(component.id)) components.push_back(component.id);
  }
  if (components.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the release has no components to redeploy");
  }
  TRY(store_.BumpGenerations(d.id, components));
  Wake(d.id);
  return Ok();
}

Status DeploymentService::SetSize(const store::Deployment& d, int64_t cpu_millis,
                                  int64_t memory_bytes) {
  if (cpu_millis < 0 || memory_bytes < 0) {
    return Unexpected(ErrorCode::kInvalidArgument, "size limits cannot be negative");
  }
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  if (d.cpu_millis == cpu_millis && d.memory_bytes == memory_bytes) return Ok();
  TRY(store_.SetSize(d.id, cpu_millis, memory_bytes));
  Wake(d.id);
  return Ok();
}

Status DeploymentService::Delete(const store::Deployment& d) {
  TRY(store_.SetDesired(d.id, store::Desired::kDeleted));
  Wake(d.id);
  return Ok();
}

std::optional<controller::DeploymentStatus> DeploymentService::StatusOf(
    const store::Deployment& d) {
  if (controller_ == nullptr) return std::nullopt;
  return controller_->StatusOf(d.id);
}

Result<store::DomainStore*> DeploymentService::Domains() {
  if (domains_.store == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "custom domains are not enabled on this server");
  }
  return domains_.store;
}

Result<store::Domain> DeploymentService::AddDomain(const store::Project& project,
                                                   const store::Deployment& d,
                                                   const std::string& endpoint,
                                                   const std::string& hostname) {
  store::DomainStore* domains = TRY(Domains());
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  std::string name = TRY(edge::NormalizeCustomDomain(hostname, domains_.base_domain));
  if (d.target_commit.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "the deployment has no commit yet, so its endpoints are unknown");
  }
  // The commit being deployed, not the branch's head (which may have moved on): its
  // endpoints are the ones the deployment serves once that commit runs.
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  manifest::Stack stack =
      TRY_CTX(LoadStack(repository, d.target_commit,
                        fmt::format("commit {}", d.target_commit.substr(0, 12))),
              "cannot read the deployment's endpoints");
  std::string chosen = TRY(ChooseEndpoint(stack, endpoint));
  store::Domain added = TRY(domains->Add(d.id, chosen, name));
  Wake(d.id);
  return added;
}

Result<std::vector<store::Domain>> DeploymentService::ListDomains(const store::Deployment& d) {
  store::DomainStore* domains = TRY(Domains());
  return domains->ListForDeployment(d.id);
}

Status DeploymentService::RemoveDomain(const store::Deployment& d, const std::string& hostname) {
  store::DomainStore* domains = TRY(Domains());
  // Not NormalizeCustomDomain: a name stored under other rules (another base domain) must
  // stay removable.
  std::string name = edge::CanonicalHostname(hostname);
  Status removed = domains->Remove(d.id, name);
  if (!removed && removed.error().code == ErrorCode::kNotFound) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("deployment '{}' has no domain '{}'", d.name, name));
  }
  if (!removed) return removed;
  Wake(d.id);
  return Ok();
}

Result<store::Domain> DeploymentService::FindDomain(const std::string& hostname) {
  store::DomainStore* domains = TRY(Domains());
  return domains->FindByHostname(edge::CanonicalHostname(hostname));
}

void DeploymentService::Wake(int64_t id) {
  if (controller_ != nullptr) controller_->Wake(id);
}

}  // namespace yard::deployments
