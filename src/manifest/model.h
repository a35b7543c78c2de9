#pragma once

// The stack a stackyard.yaml declares, as plain values. The parser fills every default (see
// docs/manifest.md), so consumers never re-derive them. Env values and commands are kept as
// written, `${...}` included: resolving imports, interpolation and generators is the
// resolver's job (see interpolation.h), once per deployment.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifest/diagnostics.h"

namespace yard::manifest {

inline constexpr int kManifestVersion = 1;
/// The pseudo-service that platform variables are imported from (`stackyard.STAGE`).
inline constexpr std::string_view kPlatformService = "stackyard";

enum class StageKind { kDev, kBuild };

struct Stage {
  std::string id;
  StageKind kind = StageKind::kBuild;
  /// Seconds after which a deployment of this stage stops; nullopt: never.
  std::optional<int64_t> auto_stop_seconds;
  Location where;
};

enum class ParamType { kString, kInteger, kNumber, kBoolean, kSecret, kEnum };

struct Param {
  std::string id;
  ParamType type = ParamType::kString;
  std::vector<std::string> values;           // kEnum only
  std::optional<std::string> default_value;  // as written; checked against the type
  std::string description;
  Location where;
};

/// A command in shell form (one string for /bin/sh -c) or exec form (argv).
struct Command {
  bool shell = true;
  std::vector<std::string> args;  // shell: exactly one element
  Location where;
};

/// One KEY: value of env, exports or build args. The value may contain `${...}`.
struct EnvVar {
  std::string key;
  std::string value;
  Location where;
};

enum class ImportKind {
  kAll,     // db.*
  kPrefix,  // db.POSTGRES_*   (name holds the prefix without '*')
  kSingle,  // db.POSTGRES_USER, optionally renamed
};

struct Import {
  std::string text;     // as written
  std::string service;  // a service id or kPlatformService
  ImportKind kind = ImportKind::kAll;
  std::string name;    // kPrefix: the prefix; kSingle: the variable
  std::string rename;  // kSingle only; empty: keep the name
  Location where;
};

struct Build {
  std::string context;     // repository-relative, normalised ("." is the root)
  std::string dockerfile;  // repository-relative, normalised
  std::vector<EnvVar> args;
  Location context_where;
  Location dockerfile_where;
};

struct Dev {
  /// Repository-relative. Empty when `image` is set. Before validation, empty with
  /// `dockerfile_defaulted` when the manifest left it to the repository (Dockerfile.dev if it
  /// exists, else the build Dockerfile).
  std::string dockerfile;
  bool dockerfile_defaulted = false;
  std::string image;
  std::optional<Command> install;
  std::optional<Command> command;
  std::string workdir;
  Location dockerfile_where;
};

enum class HealthKind { kHttp, kTcp, kCommand };

struct Health {
  HealthKind kind = HealthKind::kHttp;
  std::string http_path;  // kHttp
  int tcp_port = 0;       // kTcp
  Command command;        // kCommand
  int64_t interval_seconds = 10;
  int64_t timeout_seconds = 5;
  int64_t start_period_seconds = 0;
  int retries = 3;
  Location where;
};

struct Endpoint {
  std::string id;
  int port = 0;
  Location where;
  Location port_where;
};

struct Storage {
  std::string id;
  std::string path;
  std::vector<std::string> stages;  // empty: every stage
  Location where;
  Location stages_where;
};

enum class ServiceKind { kComponent, kAddon };

/// A component or an add-on: they share most of their shape.
struct Service {
  ServiceKind kind = ServiceKind::kComponent;
  std::string id;
  Location where;

  // Components.
  std::string folder;  // repository-relative, normalised
  Location folder_where;
  Dev dev;
  std::map<std::string, Command> start;  // stage id -> command
  Location start_where;

  // Add-ons.
  std::string catalog;  // empty: none
  std::string image;
  std::optional<Command> command;

  // Both. Components always have a build; add-ons only when they build an image.
  std::optional<Build> build;
  std::optional<int> port;
  Location port_where;  // set when `port` is written, even if it was invalid
  std::vector<int> ports;
  std::optional<Health> health;
  std::vector<EnvVar> env;
  std::vector<Import> imports;
  std::vector<EnvVar> exports;
  std::vector<Endpoint> endpoints;
  std::vector<Storage> storage;
};

struct Action {
  std::string id;
  std::string component;
  Command command;
  std::string description;
  std::vector<std::string> stages;  // empty: every stage
  Location where;
  Location component_where;
  Location stages_where;
};

struct Stack {
  int version = kManifestVersion;
  std::vector<Stage> stages;
  std::vector<Param> params;
  std::vector<Service> components;
  std::vector<Service> addons;
  std::vector<Action> actions;
  /// The service that `ssh DEPLOYMENT.PROJECT@...` reaches: a component or add-on id. The
  /// parser fills the default: the first component, else the first add-on.
  std::string primary;
  Location primary_where;  // set when `primary` is written
};

std::string_view StageKindName(StageKind kind);
std::string_view ParamTypeName(ParamType type);

}  // namespace yard::manifest
