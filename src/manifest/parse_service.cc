// Components and add-ons: one item of `components` or `addons` into a Service.

#include <fmt/core.h>

#include "manifest/catalog.h"
#include "manifest/interpolation.h"
#include "manifest/parser_internal.h"
#include "manifest/paths.h"
#include "manifest/suggest.h"

namespace yard::manifest::internal {
namespace {

constexpr std::string_view kComponentKeys[] = {"id",      "folder",    "port",   "ports", "build",
                                               "dev",     "start",     "health", "env",   "import",
                                               "exports", "endpoints", "storage"};
constexpr std::string_view kAddonKeys[] = {"id",      "catalog",   "image",  "build", "command",
                                           "port",    "ports",     "health", "env",   "import",
                                           "exports", "endpoints", "storage"};
constexpr std::string_view kBuildKeys[] = {"context", "dockerfile", "args"};
constexpr std::string_view kDevKeys[] = {"dockerfile", "image", "install", "command", "workdir"};
constexpr std::string_view kHealthKeys[] = {"http",    "tcp",          "command", "interval",
                                            "timeout", "start_period", "retries"};
constexpr std::string_view kEndpointKeys[] = {"id", "port"};
constexpr std::string_view kStorageKeys[] = {"id", "path", "stages"};

constexpr int64_t kMaxPort = 65535;

// Image references: registry/name:tag@digest. Only the characters matter here: the engine
// rejects the rest when it pulls, and nothing here may reach a shell or a path.
bool IsImageReference(std::string_view image) {
  if (image.empty() || image.size() > 255) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(image.front())) return false;
  for (char c : image) {
    if (!alnum(c) && c != '.' && c != '_' && c != '/' && c != ':' && c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

std::optional<std::string> ReadImage(Reader& reader, const Field& field, std::string_view prefix,
                                     std::string_view name) {
  auto text = reader.Text(field, prefix, name);
  if (!text) return std::nullopt;
  if (!IsImageReference(*text)) {
    reader.Error(field.where, prefix,
                 fmt::format("{} must be an image reference such as "
                             "docker.io/library/node:20, got {}",
                             name, Describe(field.value)));
    return std::nullopt;
  }
  return text;
}

std::optional<Import> ParseImport(Reader& reader, const Field& item, std::string_view prefix) {
  auto text = reader.Text(item, prefix, "import item");
  if (!text) return std::nullopt;
  Import import;
  import.text = *text;
  import.where = item.where;
  auto invalid = [&](std::string_view why) {
    reader.Error(item.where, prefix,
                 fmt::format("import \"{}\": {}; expected SERVICE.*, SERVICE.PREFIX*, "
                             "SERVICE.VAR or SERVICE.VAR:NEW_NAME",
                             Printable(*text), why));
    return std::nullopt;
  };
  size_t dot = text->find('.');
  if (dot == std::string::npos) return invalid("no \".\" after the service");
  import.service = text->substr(0, dot);
  if (import.service != kPlatformService && !WhyNotId(import.service).empty()) {
    return invalid("the service is not a valid id");
  }
  std::string rest = text->substr(dot + 1);
  size_t colon = rest.find(':');
  std::string pattern = rest.substr(0, colon);
  if (colon != std::string::npos) import.rename = rest.substr(colon + 1);
  if (pattern == "*") {
    import.kind = ImportKind::kAll;
  } else if (!pattern.empty() && pattern.back() == '*') {
    import.kind = ImportKind::kPrefix;
    import.name = pattern.substr(0, pattern.size() - 1);
    if (!IsEnvName(import.name)) return invalid("the prefix is not the start of a variable name");
  } else {
    import.kind = ImportKind::kSingle;
    import.name = pattern;
    if (!IsEnvName(import.name)) return invalid("not a variable name after the service");
  }
  if (colon != std::string::npos) {
    if (import.kind != ImportKind::kSingle) return invalid("only a single variable can be renamed");
    if (!IsEnvName(import.rename)) return invalid("the new name is not a valid variable name");
    if (import.rename.starts_with("STACKYARD_")) {
      return invalid("names starting with STACKYARD_ are reserved");
    }
  }
  return import;
}

std::optional<Build> ParseBuild(Reader& reader, const Field* field, const std::string& prefix,
                                const std::string& base) {
  Build build{base, "", {}, {}, {}};
  build.context_where = field != nullptr ? field->where : Location{};
  build.dockerfile_where = build.context_where;
  std::optional<MapReader> map;
  if (field != nullptr) {
    map.emplace(reader, *field, prefix, "build", kBuildKeys);
    if (!map->ok()) return std::nullopt;
  }
  const Field* context = map ? map->Get("context") : nullptr;
  if (context != nullptr) {
    build.context_where = context->where;
    if (auto path = ReadRepositoryPath(reader, *context, prefix, "build.context", base)) {
      build.context = *path;
    }
  }
  build.dockerfile = *JoinRepositoryPath(build.context, "Dockerfile");
  const Field* dockerfile = map ? map->Get("dockerfile") : nullptr;
  if (dockerfile != nullptr) {
    build.dockerfile_where = dockerfile->where;
    if (auto path =
            ReadRepositoryPath(reader, *dockerfile, prefix, "build.dockerfile", build.context)) {
      build.dockerfile = *path;
    }
  }
  if (const Field* args = map ? map->Get("args") : nullptr) {
    build.args = reader.EnvMap(*args, prefix, "build.args");
  }
  return build;
}

void ParseDev(Reader& reader, const Field* field, const std::string& prefix, Service& service) {
  Dev& dev = service.dev;
  dev.dockerfile_defaulted = true;
  dev.dockerfile_where = service.folder_where;
  dev.workdir = service.folder == "." ? "/app" : "/app/" + service.folder;
  if (field == nullptr) return;
  MapReader map(reader, *field, prefix, "dev", kDevKeys);
  if (!map.ok()) return;
  const Field* dockerfile = map.Get("dockerfile");
  const Field* image = map.Get("image");
  if (dockerfile != nullptr && image != nullptr) {
    reader.Error(image->key_where, prefix, "dev: give dockerfile or image, not both");
  }
  if (dockerfile != nullptr) {
    dev.dockerfile_defaulted = false;
    dev.dockerfile_where = dockerfile->where;
    if (auto path =
            ReadRepositoryPath(reader, *dockerfile, prefix, "dev.dockerfile", service.folder)) {
      dev.dockerfile = *path;
    }
  } else if (image != nullptr) {
    dev.dockerfile_defaulted = false;
    if (auto text = ReadImage(reader, *image, prefix, "dev.image")) dev.image = *text;
  }
  if (const Field* install = map.Get("install")) {
    dev.install = reader.ReadCommand(*install, prefix, "dev.install");
  }
  if (const Field* command = map.Get("command")) {
    dev.command = reader.ReadCommand(*command, prefix, "dev.command");
  }
  if (const Field* workdir = map.Get("workdir")) {
    if (auto path = ReadContainerPath(reader, *workdir, prefix, "dev.workdir")) {
      dev.workdir = *path;
    }
  }
}

void ParseStart(Reader& reader, const Field& field, const std::string& prefix,
                const std::vector<Stage>& stages, Service& service) {
  service.start_where = field.where;
  if (!field.value.IsMap()) {
    auto command = reader.ReadCommand(field, prefix, "start");
    if (!command) return;
    for (const Stage& stage : stages) {
      if (stage.kind == StageKind::kBuild) service.start[stage.id] = *command;
    }
    return;
  }
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    Location key_where = At(it->first);
    if (!reader.Visit(key_where)) return;
    std::string stage = it->first.IsScalar() ? it->first.Scalar() : "";
    Field value{stage, it->second, key_where, it->second.IsNull() ? key_where : At(it->second)};
    std::string name = fmt::format("start.{}", Printable(stage));
    if (service.start.count(stage) != 0) {
      reader.Error(key_where, prefix, fmt::format("duplicate key \"{}\"", name));
      continue;
    }
    if (auto command = reader.ReadCommand(value, prefix, name)) {
      command->where = key_where;  // so that "unknown stage" points at the stage's name
      service.start[stage] = *command;
    }
  }
}

std::optional<Health> ParseHealth(Reader& reader, const Field& field, const std::string& prefix) {
  MapReader map(reader, field, prefix, "health", kHealthKeys);
  if (!map.ok()) return std::nullopt;
  Health health;
  health.where = field.where;
  const Field* http = map.Get("http");
  const Field* tcp = map.Get("tcp");
  const Field* command = map.Get("command");
  int kinds = (http != nullptr) + (tcp != nullptr) + (command != nullptr);
  if (kinds != 1) {
    reader.Error(field.where, prefix, "health needs exactly one of http, tcp or command");
    if (kinds == 0) return std::nullopt;
  }
  bool ok = true;
  if (http != nullptr) {
    health.kind = HealthKind::kHttp;
    auto path = reader.Text(*http, prefix, "health.http");
    bool valid = path && !path->empty() && path->front() == '/' && path->size() <= 1024 &&
                 path->find_first_of(" \t\r\n") == std::string::npos;
    if (path && !valid) {
      reader.Error(http->where, prefix,
                   fmt::format("health.http must be a URL path starting with '/', without "
                               "spaces, got {}",
                               Describe(http->value)));
    }
    ok = valid;
    if (valid) health.http_path = *path;
  } else if (tcp != nullptr) {
    health.kind = HealthKind::kTcp;
    auto port = reader.Integer(*tcp, prefix, "health.tcp", 1, kMaxPort);
    ok = port.has_value();
    if (port) health.tcp_port = static_cast<int>(*port);
  } else {
    health.kind = HealthKind::kCommand;
    auto parsed = reader.ReadCommand(*command, prefix, "health.command");
    ok = parsed.has_value();
    if (parsed) health.command = *parsed;
  }
  auto duration = [&](std::string_view key, int64_t& out) {
    if (const Field* value = map.Get(key)) {
      if (auto seconds = reader.DurationSeconds(*value, prefix, map.Name(key))) out = *seconds;
    }
  };
  duration("interval", health.interval_seconds);
  duration("timeout", health.timeout_seconds);
  duration("start_period", health.start_period_seconds);
  if (const Field* retries = map.Get("retries")) {
    if (auto count = reader.Integer(*retries, prefix, "health.retries", 1, 100)) {
      health.retries = static_cast<int>(*count);
    }
  }
  if (!ok) return std::nullopt;
  return health;
}

std::vector<Endpoint> ParseEndpoints(Reader& reader, const Field& field,
                                     const std::string& prefix) {
  std::vector<Endpoint> endpoints;
  std::vector<Field> items = reader.Items(field, prefix, "endpoints");
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item_prefix =
        fmt::format("{}: {}", prefix, ItemPrefix(items[i].value, "endpoint", i));
    MapReader map(reader, items[i], item_prefix, "", kEndpointKeys);
    if (!map.ok()) continue;
    auto id = ReadId(reader, map);
    if (!id) continue;
    Endpoint endpoint{*id, 0, items[i].where, items[i].where};
    if (const Field* port = map.Get("port")) {
      endpoint.port_where = port->where;
      auto number = reader.Integer(*port, item_prefix, "port", 1, kMaxPort);
      if (!number) continue;
      endpoint.port = static_cast<int>(*number);
    }
    endpoints.push_back(endpoint);
  }
  return endpoints;
}

std::vector<Storage> ParseStorage(Reader& reader, const Field& field, const std::string& prefix) {
  std::vector<Storage> volumes;
  std::vector<Field> items = reader.Items(field, prefix, "storage");
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item_prefix =
        fmt::format("{}: {}", prefix, ItemPrefix(items[i].value, "storage", i));
    MapReader map(reader, items[i], item_prefix, "", kStorageKeys);
    if (!map.ok()) continue;
    auto id = ReadId(reader, map);
    Storage storage;
    storage.where = items[i].where;
    if (const Field* path = map.Get("path")) {
      if (auto text = ReadContainerPath(reader, *path, item_prefix, "path")) storage.path = *text;
    } else {
      reader.Error(map.where(), item_prefix, "missing key \"path\" (where it is mounted)");
    }
    if (const Field* stages = map.Get("stages")) {
      storage.stages = ReadStageList(reader, *stages, item_prefix, "stages");
      storage.stages_where = stages->where;
    }
    if (!id || storage.path.empty()) continue;
    storage.id = *id;
    volumes.push_back(std::move(storage));
  }
  return volumes;
}

// Manifest values replace catalog values with the same key and add the others.
void MergeVars(std::vector<EnvVar>& base, std::vector<EnvVar> overrides) {
  for (EnvVar& var : overrides) {
    auto same = std::find_if(base.begin(), base.end(),
                             [&](const EnvVar& other) { return other.key == var.key; });
    if (same != base.end()) {
      *same = std::move(var);
    } else {
      base.push_back(std::move(var));
    }
  }
}

}  // namespace

std::optional<Service> ParseService(Reader& reader, const Field& item, size_t index,
                                    ServiceKind kind, const std::vector<Stage>& stages) {
  const bool component = kind == ServiceKind::kComponent;
  std::string prefix = ItemPrefix(item.value, component ? "component" : "add-on", index);
  MapReader map(reader, item, prefix, "",
                component ? std::span<const std::string_view>(kComponentKeys)
                          : std::span<const std::string_view>(kAddonKeys));
  if (!map.ok()) return std::nullopt;
  auto id = ReadId(reader, map);
  if (!id) return std::nullopt;
  Service service;
  service.kind = kind;
  service.id = *id;
  service.where = item.where;

  if (!component) {
    const Field* catalog = map.Get("catalog");
    const Field* image = map.Get("image");
    const Field* build = map.Get("build");
    if (catalog != nullptr) {
      if (auto name = reader.Text(*catalog, prefix, "catalog")) {
        if (IsCatalogEntry(*name)) {
          ApplyCatalogDefaults(*name, catalog->where, service);
        } else {
          std::string suggestion = Suggest(*name, CatalogNames());
          reader.Error(catalog->where, prefix,
                       suggestion.empty()
                           ? fmt::format("unknown catalog add-on \"{}\" (expected one of: "
                                         "postgres, redis)",
                                         Printable(*name))
                           : fmt::format("unknown catalog add-on \"{}\"; did you mean \"{}\"?",
                                         Printable(*name), suggestion));
        }
      }
      if (build != nullptr) {
        reader.Error(build->key_where, prefix, "build cannot be combined with catalog");
      }
    }
    if (image != nullptr) {
      if (build != nullptr) {
        reader.Error(build->key_where, prefix, "give image or build, not both");
      }
      if (auto text = ReadImage(reader, *image, prefix, "image")) service.image = *text;
    }
    if (build != nullptr && catalog == nullptr) {
      service.build = ParseBuild(reader, build, prefix, ".");
    }
    if (catalog == nullptr && image == nullptr && build == nullptr) {
      reader.Error(item.where, prefix, "an add-on needs one of catalog, image or build");
    }
    if (const Field* command = map.Get("command")) {
      service.command = reader.ReadCommand(*command, prefix, "command");
    }
  } else {
    service.folder = service.id;
    service.folder_where = item.where;
    if (const Field* folder = map.Get("folder")) {
      service.folder_where = folder->where;
      service.folder.clear();
      if (auto path = ReadRepositoryPath(reader, *folder, prefix, "folder", ".")) {
        service.folder = *path;
      }
    }
    if (!service.folder.empty()) {
      service.build = ParseBuild(reader, map.Get("build"), prefix, service.folder);
      ParseDev(reader, map.Get("dev"), prefix, service);
    }
    if (const Field* start = map.Get("start")) ParseStart(reader, *start, prefix, stages, service);
  }

  if (const Field* port = map.Get("port")) {
    service.port_where = port->where;
    if (auto number = reader.Integer(*port, prefix, "port", 1, kMaxPort)) {
      service.port = static_cast<int>(*number);
    }
  }
  if (const Field* ports = map.Get("ports")) {
    service.ports.clear();
    for (const Field& port : reader.Items(*ports, prefix, "ports")) {
      if (auto number = reader.Integer(port, prefix, "ports item", 1, kMaxPort)) {
        service.ports.push_back(static_cast<int>(*number));
      }
    }
  }
  if (const Field* health = map.Get("health"))
    service.health = ParseHealth(reader, *health, prefix);
  if (const Field* env = map.Get("env")) MergeVars(service.env, reader.EnvMap(*env, prefix, "env"));
  if (const Field* exports = map.Get("exports")) {
    MergeVars(service.exports, reader.EnvMap(*exports, prefix, "exports"));
  }
  if (const Field* imports = map.Get("import")) {
    for (const Field& entry : reader.Items(*imports, prefix, "import")) {
      if (auto import = ParseImport(reader, entry, prefix)) service.imports.push_back(*import);
    }
  }
  if (const Field* endpoints = map.Get("endpoints")) {
    service.endpoints = ParseEndpoints(reader, *endpoints, prefix);
  }
  if (const Field* storage = map.Get("storage")) {
    service.storage = ParseStorage(reader, *storage, prefix);
  }
  // An endpoint without a port of its own serves the service's port.
  for (Endpoint& endpoint : service.endpoints) {
    if (endpoint.port == 0 && service.port) endpoint.port = *service.port;
  }
  return service;
}

}  // namespace yard::manifest::internal
