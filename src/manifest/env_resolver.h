#pragma once

// The env resolver (docs/manifest.md, "Env", "Imports", "Interpolation"): from a valid stack,
// a deployment's context and its params, the final environment and exports of every service,
// with the origin of each value. Pure logic: randomness and the storage of generated values
// come in through small interfaces, so that tests are deterministic and the caller decides
// where generated values are kept.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "manifest/diagnostics.h"
#include "manifest/interpolation.h"
#include "manifest/model.h"

namespace yard::manifest {

/// The longest value the resolver produces; longer ones are errors (they would not fit an
/// environment block anyway, and the limit keeps `A=${B}${B}` chains from exploding).
inline constexpr size_t kMaxEnvValueSize = 128 * 1024;

/// What a deployment knows about itself: the platform variables and its public URLs.
struct DeploymentContext {
  std::string stage;
  std::string deployment;
  std::string project;
  std::string branch;
  std::string commit;
  std::string domain;
  /// Endpoint id -> public `https://` URL. An endpoint not listed gets
  /// the edge's generated hostname (see DefaultEndpointUrl).
  std::map<std::string, std::string> endpoint_public_urls;
};

/// `https://HOST`, HOST as the edge names it (edge/hostnames.h: `ENDPOINT-DEPLOYMENT-PROJECT`
/// for names without dashes, with a digest otherwise): the URL an endpoint gets when the
/// context does not name one.
std::string DefaultEndpointUrl(const DeploymentContext& context, std::string_view endpoint);

/// A source of uniformly random bytes.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  /// Fills `out`. kInternal when the system cannot provide randomness.
  [[nodiscard]] virtual Status Fill(std::span<uint8_t> out) = 0;
};

/// Cryptographically secure bytes from OpenSSL's RAND_bytes. Thread-safe.
class SystemRandom final : public RandomSource {
 public:
  Status Fill(std::span<uint8_t> out) override;
};

/// A deterministic stream (splitmix64) for tests and golden files. NOT for production.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  Status Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

/// A `${generate:…}` spec, as ParseTemplate produced it.
struct GeneratorSpec {
  GeneratorKind kind = GeneratorKind::kPassword;
  int length = 0;  // characters; ignored for uuid
};

/// Generates one value: password (letters and digits), hex (lowercase) or uuid (version 4,
/// lowercase). Uniform: bytes that would bias the alphabet are drawn again.
Result<std::string> Generate(const GeneratorSpec& spec, RandomSource& random);

/// The generated values of one deployment, keyed by where the `${generate:…}` occurrence is:
/// `SERVICE/WHERE/VARIABLE#N` (WHERE is `env`, `exports` or `build.args`; N counts the
/// `${generate:…}` occurrences within that value from 0), e.g. `web/env/SESSION_SECRET#0`.
class GeneratedValues {
 public:
  virtual ~GeneratedValues() = default;
  /// The value stored under `key`; when there is none, generates one per `spec`, stores it
  /// and returns it. A stored value is returned as is even if `spec` changed since (the
  /// manifest was edited): values are kept for the deployment's life. kInternal when
  /// randomness or storage fails.
  [[nodiscard]] virtual Result<std::string> GetOrGenerate(const std::string& key,
                                                          const GeneratorSpec& spec) = 0;
};

/// GeneratedValues in a map, drawing from a RandomSource the caller owns (it must outlive
/// this). The caller persists `values()` and restores them with `Set` (a clone copies them).
/// Not thread-safe.
class InMemoryGeneratedValues final : public GeneratedValues {
 public:
  explicit InMemoryGeneratedValues(RandomSource& random) : random_(random) {}
  Result<std::string> GetOrGenerate(const std::string& key, const GeneratorSpec& spec) override;
  void Set(const std::string& key, std::string value) { values_[key] = std::move(value); }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  RandomSource& random_;
  std::map<std::string, std::string> values_;
};

/// Where a value came from, for "the origin of every value".
enum class EnvOrigin {
  kEnv,        // the service's `env` (interpolated); source empty
  kExport,     // the service's `exports` (interpolated); source empty
  kBuildArg,   // the service's `build.args` (interpolated); source empty
  kEndpoint,   // an endpoint URL variable; source: the endpoint id
  kImport,     // imported from another service; source: `SERVICE.VARIABLE` (before renaming)
  kPlatform,   // a platform variable; source: `stackyard.VARIABLE`
  kParam,      // the whole value is `${param:ID}`; source: the param id
  kGenerated,  // the whole value is one `${generate:…}`; source: its GeneratedValues key
  kOverride,   // not the resolver's: a deployment's override (controller/release_inputs.h)
};

std::string_view EnvOriginName(EnvOrigin origin);

struct EnvValue {
  std::string value;
  EnvOrigin origin = EnvOrigin::kEnv;
  std::string source;
  /// Holds a secret: a `secret` param or a generated value, directly or through a reference
  /// or an import. Shown masked (docs/configuration.md).
  bool secret = false;
  bool operator==(const EnvValue&) const = default;
};

/// One service's resolved variables. A variable that failed to resolve is absent.
struct ServiceEnv {
  std::string id;
  ServiceKind kind = ServiceKind::kComponent;
  /// The container's environment: imports in order, then `env` (later wins).
  std::map<std::string, EnvValue> env;
  /// What other services may import: `env`, then `exports`, then endpoint URLs (later wins).
  std::map<std::string, EnvValue> exports;
  /// `build.args`, which may use `${param:…}` and `${generate:…}` but no `${VAR}` (an image
  /// is built before any container has an environment).
  std::map<std::string, EnvValue> build_args;
};

struct EnvResolution {
  /// Components then add-ons, in manifest order.
  std::vector<ServiceEnv> services;
  /// Every problem found, in the order found, positioned at the value concerned.
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return diagnostics.empty(); }
  /// The service `id`, or null.
  const ServiceEnv* Find(std::string_view id) const;
};

/// Resolves every service of a parsed, valid `stack`. `params` holds the deployment's values
/// (already checked against their types); a declared param missing from it takes its default,
/// and one without default is an error. Entries naming no declared param are ignored (the
/// manifest may have dropped a param a deployment still has). `${generate:…}` values come from
/// `generated`. Errors (cycles, unknown variables, missing params, NUL characters, values over
/// kMaxEnvValueSize) are all collected, each reported once; what depends on a failed value is
/// left out silently. Diagnostics name the file `stackyard.yaml`.
EnvResolution ResolveEnv(const Stack& stack, const DeploymentContext& context,
                         const std::map<std::string, std::string>& params,
                         GeneratedValues& generated);

/// Deterministic pretty JSON of a resolution (2-space indent, trailing newline):
/// `{"services": {ID: {"kind", "env": {KEY: {"value", "origin", "source"}}, "exports": {…},
///   "build_args": {…}}},
///   "errors": ["FILE:LINE:COL: message", …]}`; an empty source is null.
std::string EnvResolutionJson(const EnvResolution& resolution);

}  // namespace yard::manifest
