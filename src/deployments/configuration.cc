#include "deployments/configuration.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "controller/release_inputs.h"
#include "deployments/deployment_service.h"
#include "git/bare_repository.h"
#include "events/kinds.h"

namespace yard::deployments {

using ConfigMap = store::DeploymentStore::ConfigMap;

struct Configuration::Target {
  manifest::ParseResult parsed;
  const manifest::Stack& stack() const { return parsed.stack; }
  bool dev = false;
};

namespace {

constexpr size_t kMaxValueSize = 128 * 1024;

std::string_view OriginName(manifest::EnvOrigin origin) {
  switch (origin) {
    case manifest::EnvOrigin::kImport:
    case manifest::EnvOrigin::kPlatform: return "import";
    case manifest::EnvOrigin::kParam: return "param";
    case manifest::EnvOrigin::kGenerated: return "generated";
    case manifest::EnvOrigin::kOverride: return "override";
    default: return "manifest";
  }
}

std::vector<std::string> ServiceIds(const manifest::Stack& stack, bool addons) {
  std::vector<std::string> ids;
  for (const manifest::Service& service : stack.components) ids.push_back(service.id);
  if (addons) {
    for (const manifest::Service& service : stack.addons) ids.push_back(service.id);
  }
  return ids;
}

const manifest::Param* FindParam(const manifest::Stack& stack, const std::string& id) {
  for (const manifest::Param& param : stack.params) {
    if (param.id == id) return &param;
  }
  return nullptr;
}

Status UnknownParam(const manifest::Stack& stack, const std::string& id) {
  std::vector<std::string> ids;
  for (const manifest::Param& param : stack.params) ids.push_back(param.id);
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("the stack has no param '{}'; {}", id,
                                ids.empty() ? "it declares none"
                                            : fmt::format("params: {}", fmt::join(ids, ", "))));
}

Status CheckComponent(const manifest::Stack& stack, const std::string& component) {
  if (component.empty()) return Ok();
  std::vector<std::string> components = ServiceIds(stack, false);
  if (std::find(components.begin(), components.end(), component) != components.end()) {
    return Ok();
  }
  bool addon = std::any_of(stack.addons.begin(), stack.addons.end(),
                           [&](const manifest::Service& s) { return s.id == component; });
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("{}; components: {}",
                                addon ? fmt::format("'{}' is an add-on: its env comes from the "
                                                    "catalog and takes no overrides",
                                                    component)
                                      : fmt::format("the stack has no component '{}'", component),
                                fmt::join(components, ", ")));
}

Status CheckRunnable(const store::Deployment& d) {
  if (d.desired == store::Desired::kDeleted) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
  }
  if (d.target_commit.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "the deployment has no commit yet: try again in a moment");
  }
  return Ok();
}

bool SameValues(const std::map<std::string, manifest::EnvValue>& a,
                const std::map<std::string, manifest::EnvValue>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.first == y.first && x.second.value == y.second.value;
  });
}

}  // namespace

Result<Configuration::Target> Configuration::Load(const store::Project& project,
                                                  const store::Deployment& d) {
  TRY(CheckRunnable(d));
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  Target target{TRY(controller::LoadStackAt(repository, d.target_commit))};
  const manifest::Stage* stage = controller::FindStage(target.stack(), d.stage);
  if (stage == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the stack at {} has no stage '{}'", d.target_commit.substr(0, 12),
                                  d.stage));
  }
  target.dev = stage->kind == manifest::StageKind::kDev;
  return target;
}

Result<std::vector<EnvEntry>> Configuration::ListEnv(const store::Project& project,
                                                     const store::Deployment& d,
                                                     const std::string& service, bool reveal) {
  Target target = TRY(Load(project, d));
  if (!service.empty()) {
    std::vector<std::string> ids = ServiceIds(target.stack(), true);
    if (std::find(ids.begin(), ids.end(), service) == ids.end()) {
      return Unexpected(ErrorCode::kNotFound,
                        fmt::format("the stack has no service '{}'; services: {}", service,
                                    fmt::join(ids, ", ")));
    }
  }
  manifest::EnvResolution env =
      TRY(controller::ResolveDeploymentEnv(ctx_, d, target.stack(), d.target_commit));
  std::vector<EnvEntry> out;
  for (const manifest::ServiceEnv& resolved : env.services) {
    if (!service.empty() && resolved.id != service) continue;
    for (const auto& [name, value] : resolved.env) {
      EnvEntry entry{.service = resolved.id,
                     .addon = resolved.kind == manifest::ServiceKind::kAddon,
                     .name = name,
                     .secret = value.secret,
                     .origin = std::string(OriginName(value.origin)),
                     .source = value.source};
      if (!value.secret || reveal) entry.value = value.value;
      out.push_back(std::move(entry));
    }
  }
  return out;
}

Result<ConfigChange> Configuration::SetEnv(const store::Project& project,
                                           const store::Deployment& d, const std::string& name,
                                           const std::string& value, bool secret,
                                           const std::string& component,
                                           const store::User& user) {
  if (!IsEnvName(name)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a valid variable name (letters, digits and _, not "
                                  "starting with a digit)",
                                  name));
  }
  if (value.size() > kMaxValueSize || value.find('\0') != std::string::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the value of {} is over {} KiB or holds a NUL character", name,
                                  kMaxValueSize / 1024));
  }
  if (secrets::IsSealed(value)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the value of {}: values starting with {} are reserved for "
                                  "sealed secrets",
                                  name, secrets::kSealedPrefix));
  }
  Target target = TRY(Load(project, d));
  TRY(CheckComponent(target.stack(), component));
  std::string stored = value;
  if (secret) {
    if (ctx_.secrets == nullptr) {
      return Unexpected(ErrorCode::kFailedPrecondition, "this server has no secrets key");
    }
    stored = TRY(ctx_.secrets->Seal(value));
  }
  std::string where = component.empty() ? "every component" : component;
  return Apply(project, d, target, ConfigMap::kEnv, controller::OverrideKey(component, name),
               stored, user, std::string(events::kDeploymentEnvSet),
               fmt::format("set {}{} for {}", name, secret ? " (secret)" : "", where));
}

Result<ConfigChange> Configuration::UnsetEnv(const store::Project& project,
                                             const store::Deployment& d, const std::string& name,
                                             const std::string& component,
                                             const store::User& user) {
  std::string key = controller::OverrideKey(component, name);
  if (!d.env.contains(key)) {
    std::vector<std::string> keys;
    for (const auto& [existing, value] : d.env) keys.push_back(existing);
    return Unexpected(
        ErrorCode::kNotFound,
        fmt::format("deployment '{}' has no override of {} for {}; {}", d.name, name,
                    component.empty() ? "every component" : component,
                    keys.empty() ? "it has no overrides"
                                 : fmt::format("overrides: {}", fmt::join(keys, ", "))));
  }
  Target target = TRY(Load(project, d));
  return Apply(project, d, target, ConfigMap::kEnv, key, std::nullopt, user,
               std::string(events::kDeploymentEnvUnset),
               fmt::format("unset {} for {}", name,
                           component.empty() ? "every component" : component));
}

Result<std::vector<ParamEntry>> Configuration::ListParams(const store::Project& project,
                                                          const store::Deployment& d,
                                                          bool reveal) {
  Target target = TRY(Load(project, d));
  std::vector<ParamEntry> out;
  for (const manifest::Param& param : target.stack().params) {
    ParamEntry entry{.id = param.id,
                     .type = std::string(manifest::ParamTypeName(param.type)),
                     .values = param.values,
                     .description = param.description,
                     .secret = param.type == manifest::ParamType::kSecret};
    bool shown = !entry.secret || reveal;
    if (auto given = d.params.find(param.id); given != d.params.end()) {
      entry.set = true;
      if (shown) entry.value = TRY(secrets::OpenWith(ctx_.secrets, given->second));
    } else if (shown) {
      entry.value = param.default_value;
    }
    if (shown) entry.default_value = param.default_value;
    out.push_back(std::move(entry));
  }
  return out;
}

Result<ConfigChange> Configuration::SetParam(const store::Project& project,
                                             const store::Deployment& d, const std::string& id,
                                             const std::string& value, const store::User& user) {
  Target target = TRY(Load(project, d));
  const manifest::Param* param = FindParam(target.stack(), id);
  if (param == nullptr) return Unexpected(UnknownParam(target.stack(), id).error());
  TRY(CheckParam(*param, value));
  bool secret = param->type == manifest::ParamType::kSecret;
  std::string stored = value;
  if (secret) {
    if (ctx_.secrets == nullptr) {
      return Unexpected(ErrorCode::kFailedPrecondition, "this server has no secrets key");
    }
    stored = TRY(ctx_.secrets->Seal(value));
  }
  return Apply(project, d, target, ConfigMap::kParams, id, stored, user, std::string(events::kDeploymentParamSet),
               secret ? fmt::format("set param {} (secret)", id)
                      : fmt::format("set param {} to {}", id, value));
}

Result<ConfigChange> Configuration::UnsetParam(const store::Project& project,
                                               const store::Deployment& d, const std::string& id,
                                               const store::User& user) {
  Target target = TRY(Load(project, d));
  const manifest::Param* param = FindParam(target.stack(), id);
  if (param == nullptr && !d.params.contains(id)) {
    return Unexpected(UnknownParam(target.stack(), id).error());
  }
  if (param != nullptr && !param->default_value) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("param '{}' has no default: set another value instead", id));
  }
  if (!d.params.contains(id)) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("deployment '{}' does not set param '{}': it has its default",
                                  d.name, id));
  }
  return Apply(project, d, target, ConfigMap::kParams, id, std::nullopt, user,
               std::string(events::kDeploymentParamUnset), fmt::format("param {} back to its default", id));
}

Result<ConfigChange> Configuration::Apply(const store::Project& project,
                                          const store::Deployment& d, const Target& target,
                                          ConfigMap map, const std::string& key,
                                          const std::optional<std::string>& value,
                                          const store::User& user, std::string kind,
                                          std::string message) {
  store::Deployment after = d;
  std::map<std::string, std::string>& entries = map == ConfigMap::kParams ? after.params
                                                                          : after.env;
  if (value) {
    entries[key] = *value;
  } else {
    entries.erase(key);
  }
  // The new environment must resolve before anything is written.
  auto before = controller::ResolveDeploymentEnv(ctx_, d, target.stack(), d.target_commit);
  manifest::EnvResolution now =
      TRY(controller::ResolveDeploymentEnv(ctx_, after, target.stack(), d.target_commit));
  TRY(store_.SetConfigEntry(d.id, map, key, value));

  ConfigChange change;
  bool rebuild = false;
  for (const manifest::ServiceEnv& service : now.services) {
    const manifest::ServiceEnv* old = before ? before->Find(service.id) : nullptr;
    bool addon = service.kind == manifest::ServiceKind::kAddon;
    bool args_changed = old != nullptr && !SameValues(old->build_args, service.build_args);
    rebuild |= args_changed;
    if (old != nullptr && SameValues(old->env, service.env) && !args_changed) continue;
    std::string action = args_changed                  ? "rebuild"
                         : addon || target.dev         ? "restart"
                                                       : "rollout";
    change.services.push_back({service.id, action});
  }
  // Build args are baked into images: the images are built again with the new value.
  if (rebuild) TRY(store_.RequestRebuild(d.id, d.target_commit, {}));
  change.version = TRY(store_.Find(d.id)).version;
  if (d.desired != store::Desired::kRunning) change.services.clear();  // nothing runs now
  if (controller_ != nullptr) controller_->Wake(d.id);
  log::Info("{}/{}: {} by {}", d.project, d.name, message, user.name);
  if (events_ != nullptr) {
    nlohmann::json services = nlohmann::json::array();
    for (const ConfigChange::Service& service : change.services) {
      services.push_back({{"service", service.id}, {"action", service.action}});
    }
    events_->Record({.project_id = project.id,
                     .project = project.name,
                     .deployment_id = d.id,
                     .deployment = d.name,
                     .actor_id = user.id,
                     .actor = user.name,
                     .kind = std::move(kind),
                     .message = std::move(message),
                     .data = {{"key", key}, {"services", services}}});
  }
  return change;
}

Status SealStoredSecrets(store::DeploymentStore& deployments, store::ProjectStore& projects,
                         const secrets::SecretBox& box, bool key_created) {
  int sealed_now = 0;
  int unreadable = 0;
  for (const store::Deployment& d : TRY(deployments.ListAll())) {
    std::vector<std::string> sealed_texts;
    for (const auto& [key, value] : TRY(deployments.Values(d.id))) {
      if (secrets::IsSealed(value)) {
        sealed_texts.push_back(value);
      } else {
        TRY(deployments.ResealValue(d.id, key, value, TRY(box.Seal(value))));
        ++sealed_now;
      }
    }
    for (const auto* map : {&d.params, &d.env}) {
      for (const auto& [key, value] : *map) {
        if (secrets::IsSealed(value)) sealed_texts.push_back(value);
      }
    }
    if (!sealed_texts.empty() && key_created) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        "the store holds sealed secrets but the secrets key was just made: the "
                        "old DATA_DIR/secrets.key is missing. Stop, restore it from a backup "
                        "over the new one, and start again");
    }
    for (const std::string& text : sealed_texts) unreadable += box.Open(text) ? 0 : 1;

    // Params are secret by the manifest's say: the stack at the target commit tells.
    bool has_plain_param = std::any_of(d.params.begin(), d.params.end(), [](const auto& entry) {
      return !secrets::IsSealed(entry.second);
    });
    if (!has_plain_param || d.target_commit.empty()) continue;
    auto project = projects.Find(d.project_id);
    auto repository =
        project ? git::BareRepository::Open(project->repo_path) : Result<git::BareRepository>(
                                                                      Unexpected(project.error()));
    auto parsed = repository ? controller::LoadStackAt(*repository, d.target_commit)
                             : Result<manifest::ParseResult>(Unexpected(repository.error()));
    if (!parsed) {
      log::Warn("{}/{}: params not sealed: {}", d.project, d.name, parsed.error().message);
      continue;
    }
    for (const auto& [id, value] : d.params) {
      const manifest::Param* param = FindParam(parsed->stack, id);
      if (param == nullptr || param->type != manifest::ParamType::kSecret ||
          secrets::IsSealed(value)) {
        continue;
      }
      TRY(deployments.ResealConfigEntry(d.id, ConfigMap::kParams, id, value,
                                        TRY(box.Seal(value))));
      ++sealed_now;
    }
  }
  if (sealed_now > 0) log::Info("secrets: sealed {} values stored in plain text", sealed_now);
  if (unreadable > 0) {
    log::Error("secrets: {} sealed values do not open with DATA_DIR/secrets.key (was it "
               "replaced?); the deployments using them will fail until it is restored",
               unreadable);
  }
  return Ok();
}

}  // namespace yard::deployments
