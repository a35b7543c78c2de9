#include "controller/plan.h"

#include <fmt/core.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

namespace yard::controller {
namespace {

using manifest::Service;
using manifest::StageKind;

std::string Digest(const runtime::ContainerSpec& spec, const std::vector<std::string>& install,
                   int64_t release_nonce) {
  nlohmann::json json = {
      // A rebuild of the same commit may produce the same tag with new content: it must
      // still roll out.
      {"release", release_nonce},
      {"name", spec.name},       {"image", spec.image},     {"cmd", spec.cmd},  {"env", spec.env},
      {"workdir", spec.workdir}, {"network", spec.network}, {"aliases", spec.aliases},
      {"cpus", spec.cpus},       {"memory", spec.memory_bytes}, {"install", install},
  };
  if (!spec.extra_hosts.empty()) json["hosts"] = spec.extra_hosts;
  if (spec.entrypoint) json["entrypoint"] = *spec.entrypoint;
  for (const runtime::Mount& mount : spec.mounts) {
    json["mounts"].push_back({mount.source, mount.target, mount.read_only});
  }
  for (const runtime::PortPublish& port : spec.ports) json["ports"].push_back(port.container_port);
  std::string text = json.dump();
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), hash);
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", hash[i]);
  return hex;
}

// The command a service runs in this stage, or nullopt for the image's own.
std::optional<manifest::Command> StartCommand(const Service& service,
                                              const manifest::Stage& stage) {
  if (service.kind == manifest::ServiceKind::kAddon) return service.command;
  if (auto it = service.start.find(stage.id); it != service.start.end()) return it->second;
  if (stage.kind == StageKind::kDev) return service.dev.command;
  return std::nullopt;
}

bool StorageInStage(const manifest::Storage& storage, const std::string& stage) {
  if (storage.stages.empty()) return true;
  for (const std::string& s : storage.stages) {
    if (s == stage) return true;
  }
  return false;
}

// Debian's sh stays the parent of a command it runs, so SIGTERM would reach the shell and
// kill the app without a clean shutdown. A single simple command is run with `exec` so that
// it replaces the shell; anything with shell syntax (lists, pipes, redirections, subshells)
// is left as written.
std::string WithExec(const std::string& text) {
  if (text.empty() || text.find_first_of(";&|<>`()\n\\") != std::string::npos ||
      text.starts_with("exec ")) {
    return text;
  }
  return "exec " + text;
}

}  // namespace

std::vector<std::string> CommandArgv(const manifest::Command& command) {
  if (command.shell) return {"/bin/sh", "-c", command.args.empty() ? "" : command.args.front()};
  return command.args;
}

Result<std::vector<ServicePlan>> MakePlan(const PlanInputs& in) {
  const store::Deployment& d = *in.deployment;
  const manifest::Stage& stage = *in.stage;
  std::vector<const Service*> services;
  for (const Service& addon : in.stack->addons) services.push_back(&addon);
  for (const Service& component : in.stack->components) services.push_back(&component);

  std::vector<ServicePlan> plans;
  for (const Service* service : services) {
    ServicePlan plan;
    plan.id = service->id;
    plan.addon = service->kind == manifest::ServiceKind::kAddon;
    plan.generation = d.GenerationOf(service->id);
    plan.health = service->health;
    plan.port = service->port.value_or(0);

    auto image = in.images->find(service->id);
    if (image == in.images->end()) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("no image for service '{}'", service->id));
    }
    const manifest::ServiceEnv* env = in.env->Find(service->id);
    if (env == nullptr) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("the environment of '{}' did not resolve", service->id));
    }

    runtime::ContainerSpec& spec = plan.spec;
    spec.name = in.naming->Container(d.project, d.name, service->id, plan.generation);
    spec.image = image->second;
    // The deployment's overrides (in `env` already, release_inputs.h) come last, as they
    // always have: the order is part of the spec's digest.
    for (bool overrides : {false, true}) {
      for (const auto& [key, value] : env->env) {
        if ((value.origin == manifest::EnvOrigin::kOverride) == overrides) {
          spec.env.emplace_back(key, value.value);
        }
      }
    }
    if (std::optional<manifest::Command> command = StartCommand(*service, stage)) {
      if (command->shell) {
        // Shell form replaces the image's entrypoint, as in a Dockerfile's shell-form CMD
        // under an ENTRYPOINT-less image: the command is all that runs.
        spec.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
        spec.cmd = {WithExec(command->args.empty() ? "" : command->args.front())};
      } else {
        spec.cmd = command->args;
      }
    }
    spec.network = in.naming->Network(d.project, d.name);
    spec.aliases = {service->id};
    spec.hostname = service->id;
    spec.cpus = static_cast<double>(d.cpu_millis) / 1000.0;
    spec.memory_bytes = d.memory_bytes;
    if (!plan.addon) {
      std::vector<int> ports;
      if (service->port) ports.push_back(*service->port);
      for (int port : service->ports) {
        if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
      }
      for (int port : ports) spec.ports.push_back({.container_port = port});
    }
    for (const manifest::Storage& storage : service->storage) {
      if (!StorageInStage(storage, stage.id)) continue;
      std::string dir = in.naming->StorageDir(d.project, d.name, service->id, storage.id);
      plan.directories.push_back(dir);
      spec.mounts.push_back({.source = dir, .target = storage.path});
    }
    if (!plan.addon && stage.kind == StageKind::kDev) {
      std::string code = in.naming->CodeDir(d.project, d.name);
      spec.mounts.push_back({.source = code, .target = "/app"});
      spec.workdir = service->dev.workdir;
      if (service->dev.install) plan.install = CommandArgv(*service->dev.install);
      if (in.dev_git != nullptr) {
        for (const auto& [key, value] : in.dev_git->env) {
          std::erase_if(spec.env, [&](const auto& pair) { return pair.first == key; });
          spec.env.emplace_back(key, value);
        }
        spec.extra_hosts = in.dev_git->extra_hosts;
      }
    }
    for (const manifest::Import& import : service->imports) {
      if (import.service == manifest::kPlatformService) continue;
      bool is_addon = false;
      for (const Service& addon : in.stack->addons) is_addon |= addon.id == import.service;
      if (is_addon && std::find(plan.depends_on.begin(), plan.depends_on.end(),
                                import.service) == plan.depends_on.end()) {
        plan.depends_on.push_back(import.service);
      }
    }

    spec.labels[std::string(runtime::kLabelProject)] = d.project;
    spec.labels[std::string(runtime::kLabelDeployment)] = std::to_string(d.id);
    spec.labels[std::string(runtime::kLabelComponent)] = service->id;
    spec.labels[std::string(runtime::kLabelGeneration)] = std::to_string(plan.generation);
    spec.labels[std::string(runtime::kLabelRole)] = "service";
    plan.digest =
        Digest(spec, plan.install.value_or(std::vector<std::string>{}),
               // A rebuild makes new images only for what is built from the project: a
               // catalog or pulled add-on keeps its image, and must keep running through it.
               service->build ? d.release_nonce : 0);
    spec.labels[std::string(kLabelDigest)] = plan.digest;
    plan.rolling = !plan.addon && stage.kind != StageKind::kDev;
    if (plan.rolling) spec.name += "-" + plan.digest.substr(0, 6);
    for (const manifest::Endpoint& endpoint : service->endpoints) {
      int port = endpoint.port != 0 ? endpoint.port : plan.port;
      if (port > 0) plan.endpoints.push_back({.id = endpoint.id, .port = port});
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace yard::controller
