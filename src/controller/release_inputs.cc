#include "controller/release_inputs.h"

#include <fmt/core.h>

#include "manifest/manifest.h"
#include "projects/git_repository_view.h"
#include "secrets/secret_box.h"

namespace yard::controller {
namespace {

// Generated values: the store's, plus those drawn in this resolution (kept by AddValues).
class StoredValues final : public manifest::GeneratedValues {
 public:
  StoredValues(std::map<std::string, std::string> stored, manifest::RandomSource& random)
      : stored_(std::move(stored)), random_(random) {}
  Result<std::string> GetOrGenerate(const std::string& key,
                                    const manifest::GeneratorSpec& spec) override {
    if (auto it = stored_.find(key); it != stored_.end()) return it->second;
    std::string value = TRY(manifest::Generate(spec, random_));
    stored_[key] = value;
    drawn_[key] = value;
    return value;
  }
  const std::map<std::string, std::string>& drawn() const { return drawn_; }

 private:
  std::map<std::string, std::string> stored_;
  std::map<std::string, std::string> drawn_;
  manifest::RandomSource& random_;
};

}  // namespace

Result<manifest::ParseResult> LoadStackAt(const git::BareRepository& repository,
                                          const std::string& commit) {
  std::string text = TRY_CTX(repository.ReadFile(commit, manifest::kManifestFileName, 1 << 20),
                             "reading the manifest");
  projects::GitRepositoryView view(repository, commit);
  manifest::ParseResult parsed =
      manifest::LoadManifest(text, std::string(manifest::kManifestFileName), &view);
  if (!parsed.ok()) {
    std::string first;
    for (const manifest::Diagnostic& diagnostic : parsed.diagnostics) {
      if (diagnostic.severity == manifest::Severity::kError) {
        first = manifest::FormatDiagnostic(diagnostic);
        break;
      }
    }
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the manifest at {} is invalid: {}", commit.substr(0, 12), first));
  }
  return parsed;
}

const manifest::Stage* FindStage(const manifest::Stack& stack, const std::string& id) {
  for (const manifest::Stage& stage : stack.stages) {
    if (stage.id == id) return &stage;
  }
  return nullptr;
}

std::string OverrideKey(const std::string& component, const std::string& name) {
  return component.empty() ? name : component + ":" + name;
}

std::map<std::string, std::string> OverridesFor(const store::Deployment& d,
                                                const std::string& component) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : d.env) {
    if (key.find(':') == std::string::npos) out[key] = value;
  }
  std::string prefix = component + ":";
  for (const auto& [key, value] : d.env) {
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = value;
  }
  return out;
}

Result<manifest::EnvResolution> ResolveDeploymentEnv(const ControllerContext& ctx,
                                                     const store::Deployment& d,
                                                     const manifest::Stack& stack,
                                                     const std::string& commit) {
  StoredValues values(TRY(secrets::OpenAll(ctx.secrets, TRY(ctx.deployments->Values(d.id)))),
                      *ctx.random);
  std::map<std::string, std::string> params = TRY(secrets::OpenAll(ctx.secrets, d.params));
  manifest::DeploymentContext context{.stage = d.stage,
                                      .deployment = d.name,
                                      .project = d.project,
                                      .branch = d.branch,
                                      .commit = commit,
                                      .domain = ctx.domain};
  manifest::EnvResolution env = manifest::ResolveEnv(stack, context, params, values);
  // Kept even when something else failed to resolve: a value, once drawn, is the value.
  if (!values.drawn().empty()) {
    std::map<std::string, std::string> drawn = values.drawn();
    if (ctx.secrets != nullptr) {
      for (auto& [key, value] : drawn) value = TRY(ctx.secrets->Seal(value));
    }
    TRY(ctx.deployments->AddValues(d.id, drawn));
  }
  if (!env.ok()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "the environment does not resolve: " +
                          manifest::FormatDiagnostic(env.diagnostics.front()));
  }
  for (manifest::ServiceEnv& service : env.services) {
    if (service.kind != manifest::ServiceKind::kComponent) continue;
    for (const auto& [name, stored] : OverridesFor(d, service.id)) {
      std::string value = TRY(secrets::OpenWith(ctx.secrets, stored));
      bool scoped = d.env.contains(OverrideKey(service.id, name));
      service.env[name] = {std::move(value), manifest::EnvOrigin::kOverride,
                           scoped ? service.id : "deployment", secrets::IsSealed(stored)};
    }
  }
  return env;
}

}  // namespace yard::controller
