#include "manifest/env_resolver.h"

#include <fmt/core.h>
#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "edge/hostnames.h"
#include "manifest/manifest.h"
#include "manifest/validate.h"

namespace yard::manifest {
namespace {

constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kHexDigits = "0123456789abcdef";
// Resolution recurses once per reference; a hostile manifest could chain tens of thousands.
constexpr size_t kMaxDepth = 1000;

// Same spelling as validate.cc's: endpoint `public-api` exports `PUBLIC_API_URL`.
std::string EndpointVariable(std::string_view endpoint) {
  std::string name;
  for (char c : endpoint)
    name += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return name;
}

enum class Scope { kEnv, kExport, kBuildArg };

// Where one variable of a service comes from, before anything is evaluated.
struct Provider {
  const EnvVar* var = nullptr;  // a template of the service's own env or exports
  bool from_env = false;        // exports only: `var` is an env entry (its value is the env's)
  const Import* import = nullptr;
  std::string source_name;  // imports: the variable's name in the source
  const Endpoint* endpoint = nullptr;
  bool internal = false;  // endpoints: E_INTERNAL_URL rather than E_URL
};

struct ServicePlan {
  const Service* service = nullptr;
  std::map<std::string, Provider> environment;  // imports in order, then env
  std::map<std::string, Provider> exports;      // env, exports, endpoint URLs
};

using NodeKey = std::tuple<std::string, Scope, std::string>;  // service, scope, variable

struct Node {
  enum class State { kActive, kDone, kFailed } state = State::kActive;
  EnvValue value;
};

class Resolver {
 public:
  Resolver(const Stack& stack, const DeploymentContext& context,
           const std::map<std::string, std::string>& params, GeneratedValues& generated)
      : stack_(stack), context_(context), generated_(generated) {
    for (const Param& param : stack.params) {
      if (param.type == ParamType::kSecret) secret_params_.insert(param.id);
      if (auto given = params.find(param.id); given != params.end()) {
        params_[param.id] = given->second;
      } else if (param.default_value) {
        params_[param.id] = *param.default_value;
      } else {
        Error(param.where, fmt::format("param \"{}\": no value given and no default", param.id));
      }
    }
  }

  EnvResolution Run() {
    BuildPlans();
    EnvResolution out;
    for (const ServicePlan& plan : plans_) {
      ServiceEnv service{plan.service->id, plan.service->kind, {}, {}, {}};
      bool unknown = false;
      for (const auto& [name, provider] : plan.environment) {
        if (const EnvValue* value = Resolve(plan, Scope::kEnv, name, unknown))
          service.env[name] = *value;
      }
      for (const auto& [name, provider] : plan.exports) {
        if (const EnvValue* value = Resolve(plan, Scope::kExport, name, unknown))
          service.exports[name] = *value;
      }
      if (plan.service->build) {
        for (const EnvVar& arg : plan.service->build->args) {
          auto value = Evaluate(plan, arg, Scope::kBuildArg);
          if (value) service.build_args[arg.key] = std::move(*value);
        }
      }
      out.services.push_back(std::move(service));
    }
    SortByPosition(diagnostics_);
    out.diagnostics = std::move(diagnostics_);
    return out;
  }

 private:
  void Error(Location where, std::string message) {
    diagnostics_.push_back({Severity::kError, std::string(kManifestFileName), where.line,
                            where.column, std::move(message)});
  }

  void BuildPlans() {
    for (const auto* list : {&stack_.components, &stack_.addons}) {
      for (const Service& service : *list) plans_.push_back({&service, {}, {}});
    }
    for (ServicePlan& plan : plans_) {
      by_id_[plan.service->id] = &plan;
      for (const EnvVar& var : plan.service->env) plan.exports[var.key] = {&var, true};
      for (const EnvVar& var : plan.service->exports) plan.exports[var.key] = {&var, false};
      for (const Endpoint& endpoint : plan.service->endpoints) {
        std::string name = EndpointVariable(endpoint.id);
        plan.exports[name + "_URL"] = {nullptr, false, nullptr, "", &endpoint, false};
        plan.exports[name + "_INTERNAL_URL"] = {nullptr, false, nullptr, "", &endpoint, true};
      }
    }
    for (ServicePlan& plan : plans_) {
      for (const Import& import : plan.service->imports) AddImport(plan, import);
      for (const EnvVar& var : plan.service->env) plan.environment[var.key] = {&var};
    }
  }

  void AddImport(ServicePlan& plan, const Import& import) {
    std::vector<std::string> names;
    if (import.service == kPlatformService) {
      for (std::string_view name : PlatformVariables()) names.emplace_back(name);
    } else if (auto source = by_id_.find(import.service);
               source != by_id_.end() && import.service != plan.service->id) {
      for (const auto& [name, provider] : source->second->exports) names.push_back(name);
    } else {
      Error(import.where, fmt::format("{}: import \"{}\": no other service \"{}\"",
                                      plan.service->id, import.text, import.service));
      return;
    }
    auto add = [&](const std::string& name, const std::string& as) {
      plan.environment[as] = {nullptr, false, &import, name};
    };
    if (import.kind == ImportKind::kSingle) {
      if (std::find(names.begin(), names.end(), import.name) == names.end()) {
        Error(import.where,
              fmt::format("{}: import \"{}\": \"{}\" exports no variable {}", plan.service->id,
                          import.text, import.service, import.name));
        return;
      }
      add(import.name, import.rename.empty() ? import.name : import.rename);
      return;
    }
    for (const std::string& name : names) {
      if (import.kind == ImportKind::kAll || name.starts_with(import.name)) add(name, name);
    }
  }

  // The value of `name` in the service's environment or exports. Null when it failed (already
  // reported) or, with `unknown` set, when the service has no such variable.
  const EnvValue* Resolve(const ServicePlan& plan, Scope scope, const std::string& name,
                          bool& unknown) {
    const auto& providers = scope == Scope::kEnv ? plan.environment : plan.exports;
    auto found = providers.find(name);
    if (found == providers.end()) {
      unknown = true;
      return nullptr;
    }
    const Provider& provider = found->second;
    if (scope == Scope::kExport && provider.from_env) {
      return Resolve(plan, Scope::kEnv, name, unknown);
    }
    NodeKey key{plan.service->id, scope, name};
    auto [entry, inserted] = nodes_.try_emplace(key);
    Node& node = entry->second;
    if (!inserted) {
      if (node.state == Node::State::kDone) return &node.value;
      if (node.state == Node::State::kActive) ReportCycle(key);
      return nullptr;
    }
    if (stack_frames_.size() >= kMaxDepth) {
      Error(WhereOf(provider),
            fmt::format("{}: {} \"{}\": references nest more than {} deep", plan.service->id,
                        scope == Scope::kEnv ? "env" : "exports", name, kMaxDepth));
      node.state = Node::State::kFailed;
      return nullptr;
    }
    stack_frames_.push_back({key, WhereOf(provider)});
    std::optional<EnvValue> value = Compute(plan, scope, name, provider);
    stack_frames_.pop_back();
    if (!value) {
      node.state = Node::State::kFailed;
      return nullptr;
    }
    node.state = Node::State::kDone;
    node.value = std::move(*value);
    return &node.value;
  }

  static Location WhereOf(const Provider& provider) {
    if (provider.var) return provider.var->where;
    if (provider.import) return provider.import->where;
    return provider.endpoint ? provider.endpoint->where : Location{};
  }

  void ReportCycle(const NodeKey& closing) {
    auto start = std::find_if(stack_frames_.begin(), stack_frames_.end(),
                              [&](const auto& frame) { return frame.first == closing; });
    const std::string& service = std::get<0>(closing);
    auto label = [&](const NodeKey& key) {
      std::string out = std::get<0>(key) == service ? "" : std::get<0>(key) + ".";
      if (std::get<1>(key) == Scope::kExport) out += "exports.";
      return out + std::get<2>(key);
    };
    std::string path;
    for (auto frame = start; frame != stack_frames_.end(); ++frame) {
      path += label(frame->first) + " -> ";
    }
    Location where = start != stack_frames_.end() ? start->second : Location{};
    Error(where, fmt::format("{}: env cycle: {}", service, path + label(closing)));
  }

  std::optional<EnvValue> Compute(const ServicePlan& plan, Scope scope, const std::string& name,
                                  const Provider& provider) {
    const std::string& id = plan.service->id;
    if (provider.endpoint) {
      const Endpoint& endpoint = *provider.endpoint;
      std::string value;
      if (provider.internal) {
        int port = endpoint.port != 0 ? endpoint.port : plan.service->port.value_or(0);
        value = fmt::format("http://{}:{}", id, port);
      } else if (auto url = context_.endpoint_public_urls.find(endpoint.id);
                 url != context_.endpoint_public_urls.end()) {
        value = url->second;
      } else {
        value = DefaultEndpointUrl(context_, endpoint.id);
      }
      if (!CheckValue(endpoint.where, fmt::format("{}: exports \"{}\"", id, name), value)) {
        return std::nullopt;
      }
      return EnvValue{std::move(value), EnvOrigin::kEndpoint, endpoint.id};
    }
    if (provider.import) {
      const Import& import = *provider.import;
      if (import.service == kPlatformService) {
        std::string value = PlatformValue(provider.source_name);
        if (!CheckValue(import.where, fmt::format("{}: {}", id, import.text), value)) {
          return std::nullopt;
        }
        return EnvValue{std::move(value), EnvOrigin::kPlatform,
                        fmt::format("{}.{}", kPlatformService, provider.source_name)};
      }
      bool unknown = false;
      const EnvValue* value =
          Resolve(*by_id_.at(import.service), Scope::kExport, provider.source_name, unknown);
      if (value == nullptr) return std::nullopt;  // the source reported it
      return EnvValue{value->value, EnvOrigin::kImport,
                      fmt::format("{}.{}", import.service, provider.source_name), value->secret};
    }
    return Evaluate(plan, *provider.var, scope);
  }

  std::string PlatformValue(std::string_view name) const {
    if (name == "STAGE") return context_.stage;
    if (name == "DEPLOYMENT") return context_.deployment;
    if (name == "PROJECT") return context_.project;
    if (name == "BRANCH") return context_.branch;
    if (name == "COMMIT") return context_.commit;
    return context_.domain;  // DOMAIN: the last of PlatformVariables()
  }

  bool CheckValue(Location where, std::string_view what, const std::string& value) {
    if (value.size() > kMaxEnvValueSize) {
      Error(where, fmt::format("{}: the value is over {} KiB", what, kMaxEnvValueSize / 1024));
      return false;
    }
    if (value.find('\0') != std::string::npos) {
      Error(where, fmt::format("{}: the value contains a NUL character", what));
      return false;
    }
    return true;
  }

  // Interpolates one template of the service's env or exports, in the service's environment.
  std::optional<EnvValue> Evaluate(const ServicePlan& plan, const EnvVar& var, Scope scope) {
    const std::string& id = plan.service->id;
    constexpr std::string_view kWhere[] = {"env", "exports", "build.args"};
    std::string_view where = kWhere[static_cast<int>(scope)];
    std::string what = fmt::format("{}: {} \"{}\"", id, where, var.key);
    auto pieces = ParseTemplate(var.value);
    if (!pieces) {
      Error(var.where, fmt::format("{}: {}", what, pieces.error().message));
      return std::nullopt;
    }
    constexpr EnvOrigin kOrigin[] = {EnvOrigin::kEnv, EnvOrigin::kExport, EnvOrigin::kBuildArg};
    EnvValue out{"", kOrigin[static_cast<int>(scope)], ""};
    bool ok = true;
    int occurrence = 0;
    for (const Piece& piece : *pieces) {
      switch (piece.kind) {
        case PieceKind::kLiteral:
          out.value += piece.text;
          break;
        case PieceKind::kVariable: {
          if (scope == Scope::kBuildArg) {  // built before any container has an environment
            Error(var.where, fmt::format("{}: {}: build args may only use ${{param:…}} and "
                                         "${{generate:…}}",
                                         what, piece.text));
            ok = false;
            break;
          }
          bool unknown = false;
          const EnvValue* value = Resolve(plan, Scope::kEnv, piece.name, unknown);
          if (value == nullptr) {
            if (unknown) {
              Error(var.where, fmt::format("{}: unknown variable {} (not in {}'s env or imports)",
                                           what, piece.text, id));
            }
            ok = false;
          } else {
            out.value += value->value;
            out.secret |= value->secret;
          }
          break;
        }
        case PieceKind::kParam: {
          auto value = params_.find(piece.name);
          if (value != params_.end()) {
            out.value += value->second;
            out.source = piece.name;
            out.secret |= secret_params_.contains(piece.name);
            break;
          }
          ok = false;
          bool declared = std::any_of(stack_.params.begin(), stack_.params.end(),
                                      [&](const Param& param) { return param.id == piece.name; });
          // A declared param without a value was reported once, where it is declared.
          if (!declared) Error(var.where, fmt::format("{}: unknown param {}", what, piece.text));
          break;
        }
        case PieceKind::kGenerate: {
          std::string key = fmt::format("{}/{}/{}#{}", id, where, var.key, occurrence++);
          auto value = generated_.GetOrGenerate(key, {piece.generator, piece.length});
          if (!value) {
            Error(var.where, fmt::format("{}: {}: {}", what, piece.text, value.error().message));
            ok = false;
          } else {
            out.value += *value;
            out.source = key;
            out.secret = true;
          }
          break;
        }
      }
      // Checked as it grows, so that a chain of doubling references stops early.
      if (!CheckValue(var.where, what, out.value)) return std::nullopt;
    }
    if (!ok) return std::nullopt;
    if (pieces->size() == 1 && (*pieces)[0].kind == PieceKind::kParam) {
      out.origin = EnvOrigin::kParam;
    } else if (pieces->size() == 1 && (*pieces)[0].kind == PieceKind::kGenerate) {
      out.origin = EnvOrigin::kGenerated;
    } else {
      out.source.clear();
    }
    return out;
  }

  const Stack& stack_;
  const DeploymentContext& context_;
  GeneratedValues& generated_;
  std::map<std::string, std::string> params_;
  std::set<std::string> secret_params_;
  std::vector<ServicePlan> plans_;  // never resized after BuildPlans: by_id_ points into it
  std::map<std::string, const ServicePlan*> by_id_;
  std::map<NodeKey, Node> nodes_;
  std::vector<std::pair<NodeKey, Location>> stack_frames_;  // values being computed
  std::vector<Diagnostic> diagnostics_;
};

nlohmann::ordered_json ValuesJson(const std::map<std::string, EnvValue>& values) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : values) {
    out[key] = {{"value", value.value},
                {"origin", EnvOriginName(value.origin)},
                {"source", value.source.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(value.source)}};
  }
  return out;
}

}  // namespace

std::string DefaultEndpointUrl(const DeploymentContext& context, std::string_view endpoint) {
  // The edge's hostname rule, so that the URL a service is told is the one it is served at.
  return "https://" +
         edge::EndpointHost(endpoint, context.deployment, context.project, context.domain);
}

Status SystemRandom::Fill(std::span<uint8_t> out) {
  // RAND_bytes takes an int; generated values are at most a few hundred bytes.
  if (out.size() > 1 << 20 || RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return Unexpected(ErrorCode::kInternal, "the system's random generator failed");
  }
  return Ok();
}

Status SeededRandom::Fill(std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15u);  // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    for (size_t j = i; j < out.size() && j < i + 8; ++j) {
      out[j] = static_cast<uint8_t>(z >> (8 * (j - i)));
    }
  }
  return Ok();
}

Result<std::string> Generate(const GeneratorSpec& spec, RandomSource& random) {
  std::string out;
  if (spec.kind == GeneratorKind::kUuid) {
    uint8_t bytes[16];
    TRY(random.Fill(bytes));
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
      out += kHexDigits[bytes[i] >> 4];
      out += kHexDigits[bytes[i] & 0xf];
    }
    return out;
  }
  size_t length = static_cast<size_t>(std::max(spec.length, 0));
  std::vector<uint8_t> bytes(length);
  while (out.size() < length) {
    TRY(random.Fill(bytes));
    for (uint8_t byte : bytes) {
      if (out.size() == length) break;
      if (spec.kind == GeneratorKind::kHex) {
        out += kHexDigits[byte & 0xf];
      } else if (byte < 248) {  // 248 = 4 * 62: larger bytes would favour the first letters
        out += kPasswordAlphabet[byte % kPasswordAlphabet.size()];
      }
    }
  }
  return out;
}

Result<std::string> InMemoryGeneratedValues::GetOrGenerate(const std::string& key,
                                                           const GeneratorSpec& spec) {
  if (auto found = values_.find(key); found != values_.end()) return found->second;
  std::string value = TRY(Generate(spec, random_));
  values_[key] = value;
  return value;
}

std::string_view EnvOriginName(EnvOrigin origin) {
  switch (origin) {
    case EnvOrigin::kEnv:
      return "env";
    case EnvOrigin::kExport:
      return "exports";
    case EnvOrigin::kBuildArg:
      return "build.args";
    case EnvOrigin::kEndpoint:
      return "endpoint";
    case EnvOrigin::kImport:
      return "import";
    case EnvOrigin::kPlatform:
      return "platform";
    case EnvOrigin::kParam:
      return "param";
    case EnvOrigin::kGenerated:
      return "generated";
    case EnvOrigin::kOverride:
      return "override";
  }
  return "unknown";
}

const ServiceEnv* EnvResolution::Find(std::string_view id) const {
  for (const ServiceEnv& service : services) {
    if (service.id == id) return &service;
  }
  return nullptr;
}

EnvResolution ResolveEnv(const Stack& stack, const DeploymentContext& context,
                         const std::map<std::string, std::string>& params,
                         GeneratedValues& generated) {
  return Resolver(stack, context, params, generated).Run();
}

std::string EnvResolutionJson(const EnvResolution& resolution) {
  nlohmann::ordered_json services = nlohmann::ordered_json::object();
  for (const ServiceEnv& service : resolution.services) {
    services[service.id] = {
        {"kind", service.kind == ServiceKind::kComponent ? "component" : "addon"},
        {"env", ValuesJson(service.env)},
        {"exports", ValuesJson(service.exports)},
        {"build_args", ValuesJson(service.build_args)}};
  }
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const Diagnostic& diagnostic : resolution.diagnostics) {
    errors.push_back(FormatDiagnostic(diagnostic));
  }
  nlohmann::ordered_json root = {{"services", services}, {"errors", errors}};
  return root.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace yard::manifest
