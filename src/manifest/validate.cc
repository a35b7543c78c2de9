#include "manifest/validate.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "manifest/interpolation.h"
#include "manifest/paths.h"
#include "manifest/suggest.h"

namespace yard::manifest {
namespace {

constexpr std::string_view kPlatformVariables[] = {"STAGE",  "DEPLOYMENT", "PROJECT",
                                                   "BRANCH", "COMMIT",     "DOMAIN"};

std::string Prefix(const Service& service) {
  return fmt::format("{} \"{}\"", service.kind == ServiceKind::kComponent ? "component" : "add-on",
                     service.id);
}

std::string EndpointVariable(const std::string& endpoint) {
  std::string name;
  for (char c : endpoint)
    name += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return name;
}

class Checker {
 public:
  Checker(Stack& stack, RepositoryView* repository, Diagnostics& diagnostics)
      : stack_(stack), repository_(repository), diagnostics_(diagnostics) {
    for (Service& service : stack_.components) services_.push_back(&service);
    for (Service& service : stack_.addons) services_.push_back(&service);
    for (const Stage& stage : stack_.stages) {
      has_dev_ = has_dev_ || stage.kind == StageKind::kDev;
      has_build_ = has_build_ || stage.kind == StageKind::kBuild;
    }
  }

  void Run() {
    CheckUnique();
    for (Service* service : services_) {
      CheckService(*service);
      if (repository_ != nullptr) CheckRepository(*service);
    }
    for (const Action& action : stack_.actions) CheckAction(action);
    CheckPrimary();
  }

 private:
  void Error(Location where, const std::string& prefix, const std::string& message) {
    diagnostics_.Error(where, prefix.empty() ? message : prefix + ": " + message);
  }

  // Reports the second and later occurrences of each key, naming the first one's line.
  template <typename T, typename Key, typename Describe>
  void Unique(const std::vector<T>& items, Key key, Describe describe) {
    std::map<std::string, const T*> seen;
    for (const T& item : items) {
      auto [first, inserted] = seen.emplace(key(item), &item);
      if (!inserted) describe(item, *first->second);
    }
  }

  void CheckUnique() {
    Unique(
        stack_.stages, [](const Stage& s) { return s.id; },
        [&](const Stage& s, const Stage& first) {
          Error(
              s.where, "",
              fmt::format("duplicate stage id \"{}\" (first at line {})", s.id, first.where.line));
        });
    Unique(
        stack_.params, [](const Param& p) { return p.id; },
        [&](const Param& p, const Param& first) {
          Error(
              p.where, "",
              fmt::format("duplicate param id \"{}\" (first at line {})", p.id, first.where.line));
        });
    Unique(
        stack_.actions, [](const Action& a) { return a.id; },
        [&](const Action& a, const Action& first) {
          Error(
              a.where, "",
              fmt::format("duplicate action id \"{}\" (first at line {})", a.id, first.where.line));
        });
    std::vector<const Service*> services(services_.begin(), services_.end());
    Unique(
        services, [](const Service* s) { return s->id; },
        [&](const Service* s, const Service* first) {
          Error(s->where, "",
                fmt::format("duplicate id \"{}\": already used by the {} at line {} "
                            "(components and add-ons share one set of ids)",
                            s->id, first->kind == ServiceKind::kComponent ? "component" : "add-on",
                            first->where.line));
        });
    for (const Service* service : services_) {
      if (service->id == kPlatformService) {
        Error(service->where, "",
              fmt::format("id \"{}\" is reserved for platform variables", kPlatformService));
      }
    }
    // Endpoint ids become hostnames: unique in the whole stack.
    std::vector<std::pair<const Service*, const Endpoint*>> endpoints;
    for (const Service* service : services_) {
      for (const Endpoint& endpoint : service->endpoints)
        endpoints.emplace_back(service, &endpoint);
    }
    Unique(
        endpoints, [](const auto& e) { return e.second->id; },
        [&](const auto& e, const auto& first) {
          Error(e.second->where, Prefix(*e.first),
                fmt::format("duplicate endpoint id \"{}\" (first at line {}; endpoint ids are "
                            "unique in the stack)",
                            e.second->id, first.second->where.line));
        });
  }

  bool StageDeclared(const std::string& id) const {
    return std::any_of(stack_.stages.begin(), stack_.stages.end(),
                       [&](const Stage& stage) { return stage.id == id; });
  }

  void CheckStageList(const std::vector<std::string>& stages, Location where,
                      const std::string& prefix, std::string_view name) {
    for (const std::string& stage : stages) {
      if (!StageDeclared(stage)) Error(where, prefix, UnknownStage(name, stage));
    }
  }

  std::string UnknownStage(std::string_view name, const std::string& stage) const {
    std::vector<std::string_view> ids;
    std::string list;
    for (const Stage& declared : stack_.stages) {
      if (std::find(ids.begin(), ids.end(), declared.id) != ids.end()) continue;
      ids.push_back(declared.id);
      list += (list.empty() ? "" : ", ") + declared.id;
    }
    std::string suggestion = Suggest(stage, ids);
    if (!suggestion.empty()) {
      return fmt::format("{}: unknown stage \"{}\"; did you mean \"{}\"?", name, stage, suggestion);
    }
    return fmt::format("{}: unknown stage \"{}\" (declared: {})", name, stage, list);
  }

  // Every ${param:ID} in `text` must name a declared param.
  void CheckParams(const std::string& text, Location where, const std::string& prefix,
                   std::string_view name) {
    auto pieces = ParseTemplate(text);
    if (!pieces) return;  // reported by the parser
    for (const Piece& piece : *pieces) {
      if (piece.kind != PieceKind::kParam) continue;
      bool declared = std::any_of(stack_.params.begin(), stack_.params.end(),
                                  [&](const Param& param) { return param.id == piece.name; });
      if (!declared) {
        Error(where, prefix,
              fmt::format("{}: {} uses param \"{}\", which is not declared in params", name,
                          piece.text, piece.name));
      }
    }
  }

  void CheckCommand(const std::optional<Command>& command, const std::string& prefix,
                    std::string_view name) {
    if (!command) return;
    for (const std::string& arg : command->args) CheckParams(arg, command->where, prefix, name);
  }

  void CheckVars(const std::vector<EnvVar>& vars, const std::string& prefix,
                 std::string_view name) {
    for (const EnvVar& var : vars) {
      CheckParams(var.value, var.where, prefix, fmt::format("{}.{}", name, var.key));
    }
  }

  void CheckService(const Service& service) {
    const std::string prefix = Prefix(service);
    const bool component = service.kind == ServiceKind::kComponent;
    const char* noun = component ? "component" : "add-on";
    // Ports and endpoints.
    std::vector<int> listening = service.ports;
    if (service.port) listening.insert(listening.begin(), *service.port);
    for (const Endpoint& endpoint : service.endpoints) {
      std::string where = fmt::format("endpoint \"{}\"", endpoint.id);
      if (endpoint.port == 0) {
        Error(endpoint.where, prefix,
              fmt::format("{} has no port: set port on the {} or on the endpoint", where, noun));
      } else if (listening.empty()) {
        Error(endpoint.port_where, prefix,
              fmt::format("{} uses port {} but the {} declares no port; add \"port: {}\"", where,
                          endpoint.port, noun, endpoint.port));
      } else if (std::find(listening.begin(), listening.end(), endpoint.port) == listening.end()) {
        Error(endpoint.port_where, prefix,
              fmt::format("{} uses port {}, which the {} does not listen on; add it to ports",
                          where, endpoint.port, noun));
      }
    }
    // An invalid port has been reported already; "add a port" would only confuse.
    bool port_written = service.port_where.line > 0;
    if (service.health && service.health->kind == HealthKind::kHttp && !service.port &&
        !port_written) {
      Error(service.health->where, prefix,
            fmt::format("health.http needs the {}'s port; add \"port:\"", noun));
    }
    // Storage.
    std::map<std::string, const Storage*> ids;
    std::map<std::string, const Storage*> paths;
    for (const Storage& storage : service.storage) {
      if (auto [first, inserted] = ids.emplace(storage.id, &storage); !inserted) {
        Error(storage.where, prefix,
              fmt::format("duplicate storage id \"{}\" (first at line {})", storage.id,
                          first->second->where.line));
      }
      if (auto [first, inserted] = paths.emplace(storage.path, &storage); !inserted) {
        Error(storage.where, prefix,
              fmt::format("storage \"{}\": path {} is already used by storage \"{}\"", storage.id,
                          storage.path, first->second->id));
      }
      CheckStageList(storage.stages, storage.stages_where, prefix,
                     fmt::format("storage \"{}\": stages", storage.id));
    }
    // Start commands per stage.
    for (const auto& [stage, command] : service.start) {
      if (!StageDeclared(stage)) Error(command.where, prefix, UnknownStage("start", stage));
      CheckCommand(command, prefix, fmt::format("start.{}", stage));
    }
    // Params used in values and commands.
    CheckVars(service.env, prefix, "env");
    CheckVars(service.exports, prefix, "exports");
    if (service.build) CheckVars(service.build->args, prefix, "build.args");
    CheckCommand(service.dev.install, prefix, "dev.install");
    CheckCommand(service.dev.command, prefix, "dev.command");
    CheckCommand(service.command, prefix, "command");
    if (service.health && service.health->kind == HealthKind::kCommand) {
      CheckCommand(service.health->command, prefix, "health.command");
    }
    for (const Import& import : service.imports) CheckImport(service, import);
  }

  const Service* FindService(const std::string& id) const {
    for (const Service* service : services_) {
      if (service->id == id) return service;
    }
    return nullptr;
  }

  std::string ServiceSuggestion(const std::string& id) const {
    std::vector<std::string_view> ids = {kPlatformService};
    for (const Service* service : services_) ids.push_back(service->id);
    std::string suggestion = Suggest(id, ids);
    return suggestion.empty() ? "" : fmt::format("; did you mean \"{}\"?", suggestion);
  }

  void CheckImport(const Service& service, const Import& import) {
    const std::string prefix = Prefix(service);
    std::vector<std::string> exported;
    if (import.service == kPlatformService) {
      exported.assign(std::begin(kPlatformVariables), std::end(kPlatformVariables));
    } else if (import.service == service.id) {
      Error(import.where, prefix,
            fmt::format("import \"{}\": a service cannot import from itself; use ${{VAR}} "
                        "instead",
                        import.text));
      return;
    } else if (const Service* source = FindService(import.service)) {
      exported = ExportedVariables(*source);
    } else {
      Error(import.where, prefix,
            fmt::format("import \"{}\": no component or add-on \"{}\"{}", import.text,
                        import.service, ServiceSuggestion(import.service)));
      return;
    }
    if (import.kind == ImportKind::kAll) return;
    if (import.kind == ImportKind::kPrefix) {
      bool any = std::any_of(exported.begin(), exported.end(), [&](const std::string& name) {
        return name.starts_with(import.name);
      });
      if (!any) {
        Error(import.where, prefix,
              fmt::format("import \"{}\": \"{}\" exports no variable starting with {}", import.text,
                          import.service, import.name));
      }
      return;
    }
    if (std::find(exported.begin(), exported.end(), import.name) == exported.end()) {
      std::vector<std::string_view> names(exported.begin(), exported.end());
      std::string suggestion = Suggest(import.name, names);
      Error(
          import.where, prefix,
          fmt::format("import \"{}\": \"{}\" exports no variable {}{}", import.text, import.service,
                      import.name,
                      suggestion.empty() ? "" : fmt::format("; did you mean \"{}\"?", suggestion)));
    }
  }

  void CheckAction(const Action& action) {
    std::string prefix = fmt::format("action \"{}\"", action.id);
    if (!action.component.empty() && FindService(action.component) == nullptr) {
      Error(action.component_where, prefix,
            fmt::format("component \"{}\" does not exist{}", action.component,
                        ServiceSuggestion(action.component)));
    }
    CheckCommand(action.command, prefix, "command");
    CheckStageList(action.stages, action.stages_where, prefix, "stages");
  }

  void CheckPrimary() {
    if (stack_.primary_where.line == 0 || FindService(stack_.primary) != nullptr) return;
    // Unlike imports, the platform pseudo-service is no candidate: nothing runs there.
    std::vector<std::string_view> ids;
    std::string list;
    for (const Service* service : services_) {
      ids.push_back(service->id);
      list += (list.empty() ? "" : ", ") + service->id;
    }
    std::string suggestion = Suggest(stack_.primary, ids);
    Error(stack_.primary_where, "",
          suggestion.empty()
              ? fmt::format("primary: no component or add-on \"{}\" (declared: {})",
                            stack_.primary, list)
              : fmt::format("primary: no component or add-on \"{}\"; did you mean \"{}\"?",
                            stack_.primary, suggestion));
  }

  // Returns the kind, reporting when the repository cannot answer.
  std::optional<EntryKind> Stat(const std::string& path, Location where, const std::string& prefix,
                                std::string_view name) {
    auto kind = repository_->Stat(path);
    if (!kind) {
      Error(where, prefix,
            fmt::format("{}: cannot check \"{}\": {}", name, path, kind.error().message));
      return std::nullopt;
    }
    return *kind;
  }

  bool Expect(const std::string& path, EntryKind expected, Location where,
              const std::string& prefix, std::string_view name) {
    auto kind = Stat(path, where, prefix, name);
    if (!kind) return false;
    if (*kind == expected) return true;
    if (*kind == EntryKind::kMissing) {
      Error(where, prefix, fmt::format("{} \"{}\" does not exist in the repository", name, path));
    } else {
      Error(where, prefix,
            fmt::format("{} \"{}\" is a {}, expected a {}", name, path,
                        *kind == EntryKind::kFile ? "file" : "directory",
                        expected == EntryKind::kFile ? "file" : "directory"));
    }
    return false;
  }

  void CheckRepository(Service& service) {
    const std::string prefix = Prefix(service);
    if (service.kind == ServiceKind::kComponent) {
      if (service.folder.empty() ||
          !Expect(service.folder, EntryKind::kDirectory, service.folder_where, prefix, "folder")) {
        return;
      }
    }
    // Add-ons with a build run it in every stage; components only in build stages.
    bool build_used = service.kind == ServiceKind::kAddon || has_build_;
    bool build_dockerfile_exists = false;
    if (service.build && build_used &&
        Expect(service.build->context, EntryKind::kDirectory, service.build->context_where, prefix,
               "build.context")) {
      build_dockerfile_exists = Expect(service.build->dockerfile, EntryKind::kFile,
                                       service.build->dockerfile_where, prefix, "build.dockerfile");
    }
    if (service.kind != ServiceKind::kComponent || !has_dev_) return;
    Dev& dev = service.dev;
    if (dev.dockerfile_defaulted) {
      std::string dev_file = *JoinRepositoryPath(service.folder, "Dockerfile.dev");
      auto kind = Stat(dev_file, dev.dockerfile_where, prefix, "dev.dockerfile");
      if (!kind) return;
      if (*kind == EntryKind::kFile) {
        dev.dockerfile = dev_file;
        dev.dockerfile_defaulted = false;
        return;
      }
      if (!service.build) return;
      dev.dockerfile = service.build->dockerfile;
      dev.dockerfile_defaulted = false;
      // With build stages, a missing Dockerfile has been reported already.
      if (has_build_ && !build_dockerfile_exists) return;
      if (!has_build_) {
        auto build_kind = Stat(dev.dockerfile, dev.dockerfile_where, prefix, "dev.dockerfile");
        if (build_kind && *build_kind != EntryKind::kFile) {
          Error(dev.dockerfile_where, prefix,
                fmt::format("no Dockerfile for dev stages: neither {} nor {} exists (set "
                            "dev.dockerfile or dev.image)",
                            dev_file, dev.dockerfile));
        }
      }
      return;
    }
    if (!dev.dockerfile.empty()) {
      Expect(dev.dockerfile, EntryKind::kFile, dev.dockerfile_where, prefix, "dev.dockerfile");
    }
  }

  Stack& stack_;
  RepositoryView* repository_;
  Diagnostics& diagnostics_;
  std::vector<Service*> services_;
  bool has_dev_ = false;
  bool has_build_ = false;
};

}  // namespace

std::span<const std::string_view> PlatformVariables() { return kPlatformVariables; }

std::vector<std::string> ExportedVariables(const Service& service) {
  std::vector<std::string> names;
  for (const EnvVar& var : service.env) names.push_back(var.key);
  for (const EnvVar& var : service.exports) names.push_back(var.key);
  for (const Endpoint& endpoint : service.endpoints) {
    names.push_back(EndpointVariable(endpoint.id) + "_URL");
    names.push_back(EndpointVariable(endpoint.id) + "_INTERNAL_URL");
  }
  return names;
}

void Validate(Stack& stack, RepositoryView* repository, Diagnostics& diagnostics) {
  Checker(stack, repository, diagnostics).Run();
  for (const Param& param : stack.params) {
    if (param.type == ParamType::kSecret && param.default_value) {
      diagnostics.Warning(param.where,
                          fmt::format("param \"{}\": a secret's default is stored in the "
                                      "repository for anyone who can read it",
                                      param.id));
    }
  }
}

}  // namespace yard::manifest
