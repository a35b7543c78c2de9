#include "manifest/resolved_json.h"

#include <nlohmann/json.hpp>

namespace yard::manifest {
namespace {

using Json = nlohmann::ordered_json;

Json Nullable(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

Json ToJson(const Command& command) {
  if (command.shell) return command.args.empty() ? Json("") : Json(command.args[0]);
  return Json(command.args);
}

Json ToJson(const std::optional<Command>& command) {
  return command ? ToJson(*command) : Json(nullptr);
}

Json ToJson(const std::vector<EnvVar>& vars) {
  Json out = Json::object();
  for (const EnvVar& var : vars) out[var.key] = var.value;
  return out;
}

Json ToJson(const std::vector<std::string>& list) { return Json(list); }

Json ToJson(const Build& build) {
  return {
      {"context", build.context}, {"dockerfile", build.dockerfile}, {"args", ToJson(build.args)}};
}

Json ToJson(const Health& health) {
  Json out = Json::object();
  switch (health.kind) {
    case HealthKind::kHttp:
      out["http"] = health.http_path;
      break;
    case HealthKind::kTcp:
      out["tcp"] = health.tcp_port;
      break;
    case HealthKind::kCommand:
      out["command"] = ToJson(health.command);
      break;
  }
  out["interval_seconds"] = health.interval_seconds;
  out["timeout_seconds"] = health.timeout_seconds;
  out["start_period_seconds"] = health.start_period_seconds;
  out["retries"] = health.retries;
  return out;
}

Json ToJson(const Import& import) {
  const char* kind = import.kind == ImportKind::kAll      ? "all"
                     : import.kind == ImportKind::kPrefix ? "prefix"
                                                          : "single";
  return {{"from", import.service},
          {"kind", kind},
          {"name", Nullable(import.name)},
          {"as", Nullable(import.rename)}};
}

Json ToJson(const Service& service, const Json& all_stages) {
  Json out = {{"id", service.id}};
  if (service.kind == ServiceKind::kComponent) {
    out["folder"] = service.folder;
  } else {
    out["catalog"] = Nullable(service.catalog);
    out["image"] = Nullable(service.image);
  }
  out["build"] = service.build ? ToJson(*service.build) : Json(nullptr);
  if (service.kind == ServiceKind::kComponent) {
    const Dev& dev = service.dev;
    out["dev"] = {
        {"dockerfile", dev.dockerfile_defaulted ? Json("(default)") : Nullable(dev.dockerfile)},
        {"image", Nullable(dev.image)},
        {"install", ToJson(dev.install)},
        {"command", ToJson(dev.command)},
        {"workdir", dev.workdir}};
    Json start = Json::object();
    for (const auto& [stage, command] : service.start) start[stage] = ToJson(command);
    out["start"] = start;
  } else {
    out["command"] = ToJson(service.command);
  }
  out["port"] = service.port ? Json(*service.port) : Json(nullptr);
  out["ports"] = service.ports;
  out["health"] = service.health ? ToJson(*service.health) : Json(nullptr);
  out["env"] = ToJson(service.env);
  Json imports = Json::array();
  for (const Import& import : service.imports) imports.push_back(ToJson(import));
  out["import"] = imports;
  out["exports"] = ToJson(service.exports);
  Json endpoints = Json::array();
  for (const Endpoint& endpoint : service.endpoints) {
    endpoints.push_back({{"id", endpoint.id}, {"port", endpoint.port}});
  }
  out["endpoints"] = endpoints;
  Json storage = Json::array();
  for (const Storage& volume : service.storage) {
    storage.push_back({{"id", volume.id},
                       {"path", volume.path},
                       {"stages", volume.stages.empty() ? all_stages : ToJson(volume.stages)}});
  }
  out["storage"] = storage;
  return out;
}

}  // namespace

std::string ResolvedJson(const Stack& stack) {
  Json out = {{"version", stack.version}};
  Json stages = Json::array();
  for (const Stage& stage : stack.stages) {
    stages.push_back({{"id", stage.id},
                      {"kind", StageKindName(stage.kind)},
                      {"auto_stop_seconds",
                       stage.auto_stop_seconds ? Json(*stage.auto_stop_seconds) : Json(nullptr)}});
  }
  out["stages"] = stages;
  // "Every stage" is spelt out, so that readers of the resolved form need no rule for it.
  Json all_stages = Json::array();
  for (const Stage& stage : stack.stages) all_stages.push_back(stage.id);
  Json params = Json::array();
  for (const Param& param : stack.params) {
    params.push_back(
        {{"id", param.id},
         {"type", ParamTypeName(param.type)},
         {"values", param.type == ParamType::kEnum ? ToJson(param.values) : Json(nullptr)},
         {"default", param.default_value ? Json(*param.default_value) : Json(nullptr)},
         {"description", param.description}});
  }
  out["params"] = params;
  Json components = Json::array();
  for (const Service& service : stack.components) components.push_back(ToJson(service, all_stages));
  out["components"] = components;
  Json addons = Json::array();
  for (const Service& service : stack.addons) addons.push_back(ToJson(service, all_stages));
  out["addons"] = addons;
  Json actions = Json::array();
  for (const Action& action : stack.actions) {
    actions.push_back({{"id", action.id},
                       {"component", action.component},
                       {"command", ToJson(action.command)},
                       {"description", action.description},
                       {"stages", action.stages.empty() ? all_stages : ToJson(action.stages)}});
  }
  out["actions"] = actions;
  out["primary"] = Nullable(stack.primary);
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace yard::manifest
