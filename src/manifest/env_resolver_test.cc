// The env resolver: one test per rule of docs/manifest.md ("Env", "Imports", "Interpolation"),
// the generators, and golden files: every manifest under testdata/valid/ and testdata/env/
// resolves, with a fixed context and seeded generators, to testdata/env/NAME.env.json.
// Regenerate with YARD_UPDATE_GOLDEN=1 (then review the diff).

#include "manifest/env_resolver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "manifest/manifest.h"

namespace yard::manifest {
namespace {

namespace stdfs = std::filesystem;

DeploymentContext Context() {
  return {"staging",           "pr-7", "shop", "main", "0123456789abcdef0123456789abcdef01234567",
          "yard.example.test", {}};
}

Stack Parse(std::string_view yaml) {
  ParseResult result = LoadManifest(yaml, "stackyard.yaml", nullptr);
  std::string diagnostics;
  for (const Diagnostic& diagnostic : result.diagnostics) {
    diagnostics += FormatDiagnostic(diagnostic) + "\n";
  }
  EXPECT_TRUE(result.ok()) << diagnostics;
  return result.stack;
}

struct Resolved {
  EnvResolution resolution;
  std::string errors;  // formatted, one a line

  const ServiceEnv& Service(std::string_view id) const {
    const ServiceEnv* service = resolution.Find(id);
    if (service == nullptr) std::abort();
    return *service;
  }
  std::string Env(std::string_view id, const std::string& key) const {
    auto found = Service(id).env.find(key);
    return found == Service(id).env.end() ? "<absent>" : found->second.value;
  }
  std::string Export(std::string_view id, const std::string& key) const {
    auto found = Service(id).exports.find(key);
    return found == Service(id).exports.end() ? "<absent>" : found->second.value;
  }
};

Resolved Resolve(std::string_view yaml, const std::map<std::string, std::string>& params = {},
                 GeneratedValues* generated = nullptr, DeploymentContext context = Context()) {
  SeededRandom random(42);
  InMemoryGeneratedValues fresh(random);
  Stack stack = Parse(yaml);
  Resolved out{ResolveEnv(stack, context, params, generated ? *generated : fresh), ""};
  for (const Diagnostic& diagnostic : out.resolution.diagnostics) {
    out.errors += FormatDiagnostic(diagnostic) + "\n";
  }
  return out;
}

constexpr std::string_view kImports = R"(version: 1
components:
  - id: web
    import:
      - db.*
      - api.PUBLIC_*
      - api.TOKEN
      - api.TOKEN:API_TOKEN
    env:
      OWN: own
  - id: api
    env:
      PUBLIC_URL: https://api.test
      PUBLIC_NAME: api
      PRIVATE: secret
      TOKEN: t0k
addons:
  - id: db
    image: docker.io/library/postgres:16
    env:
      USER: app
    exports:
      HOST: db
)";

TEST(EnvResolverTest, ImportForms) {
  Resolved r = Resolve(kImports);
  ASSERT_EQ(r.errors, "");
  std::map<std::string, std::string> env;
  for (const auto& [key, value] : r.Service("web").env) env[key] = value.value;
  std::map<std::string, std::string> expected = {
      {"USER", "app"},        {"HOST", "db"},   {"PUBLIC_URL", "https://api.test"},
      {"PUBLIC_NAME", "api"}, {"TOKEN", "t0k"}, {"API_TOKEN", "t0k"},
      {"OWN", "own"}};
  EXPECT_EQ(env, expected);  // PRIVATE: neither the prefix nor named
  EXPECT_EQ(r.Service("web").env.at("API_TOKEN"),
            (EnvValue{"t0k", EnvOrigin::kImport, "api.TOKEN"}));
  EXPECT_EQ(r.Service("web").env.at("OWN"), (EnvValue{"own", EnvOrigin::kEnv, ""}));
}

TEST(EnvResolverTest, OwnEnvWinsOverImportsAndLaterImportsOverEarlier) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    import: [a.*, b.X, b.Y:Z]
    env: { Y: mine }
  - id: a
    env: { X: from-a, Y: from-a, Z: from-a }
  - id: b
    env: { X: from-b, Y: from-b }
)");
  ASSERT_EQ(r.errors, "");
  EXPECT_EQ(r.Env("web", "X"), "from-b");
  EXPECT_EQ(r.Env("web", "Z"), "from-b");
  EXPECT_EQ(r.Env("web", "Y"), "mine");
}

TEST(EnvResolverTest, ExportsAreEnvExportsAndEndpointsNotImports) {
  DeploymentContext context = Context();
  context.endpoint_public_urls["admin-ui"] = "https://admin.shop.test";
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    port: 3000
    ports: [9000]
    import: [api.*]
    env: { A: "${FROM_API}-a" }
    exports: { B: "${A}-b" }
    endpoints:
      - id: app
      - id: admin-ui
        port: 9000
  - id: api
    env: { FROM_API: x }
)",
                       {}, nullptr, context);
  ASSERT_EQ(r.errors, "");
  std::vector<std::string> keys;
  for (const auto& [key, value] : r.Service("web").exports) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"A", "ADMIN_UI_INTERNAL_URL", "ADMIN_UI_URL",
                                            "APP_INTERNAL_URL", "APP_URL", "B"}));
  EXPECT_EQ(r.Export("web", "A"), "x-a");
  EXPECT_EQ(r.Export("web", "B"), "x-a-b");
  EXPECT_EQ(r.Env("web", "B"), "<absent>");  // exports are not the container's env
  // "pr-7" has a dash: the edge adds a digest (edge/hostnames.h).
  EXPECT_EQ(r.Export("web", "APP_URL"), "https://app-pr-7-shop-2ftz2x.yard.example.test");
  EXPECT_EQ(r.Export("web", "APP_INTERNAL_URL"), "http://web:3000");
  EXPECT_EQ(r.Export("web", "ADMIN_UI_URL"), "https://admin.shop.test");
  EXPECT_EQ(r.Export("web", "ADMIN_UI_INTERNAL_URL"), "http://web:9000");
  EXPECT_EQ(r.Service("web").exports.at("APP_URL").origin, EnvOrigin::kEndpoint);
}

TEST(EnvResolverTest, PlatformVariables) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    import: [stackyard.*, stackyard.COMMIT:REV]
  - id: api
    import: [stackyard.STAGE]
)");
  ASSERT_EQ(r.errors, "");
  EXPECT_EQ(r.Env("web", "STAGE"), "staging");
  EXPECT_EQ(r.Env("web", "DEPLOYMENT"), "pr-7");
  EXPECT_EQ(r.Env("web", "PROJECT"), "shop");
  EXPECT_EQ(r.Env("web", "BRANCH"), "main");
  EXPECT_EQ(r.Env("web", "REV"), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(r.Env("web", "DOMAIN"), "yard.example.test");
  EXPECT_EQ(r.Service("web").env.at("STAGE"),
            (EnvValue{"staging", EnvOrigin::kPlatform, "stackyard.STAGE"}));
  EXPECT_EQ(r.Service("api").env.size(), 1u);
  EXPECT_TRUE(r.Service("web").exports.empty());
}

TEST(EnvResolverTest, ReferencesResolveRecursively) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    import: [stackyard.STAGE]
    env:
      A: "${B}/${B}"
      B: "${C}-${STAGE}"
      C: c
)");
  ASSERT_EQ(r.errors, "");
  EXPECT_EQ(r.Env("web", "A"), "c-staging/c-staging");
}

TEST(EnvResolverTest, CyclesAreErrorsNamingThePath) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    env:
      A: "${B}"
      B: "x${A}"
      C: "${A}"
      D: ok
)");
  EXPECT_EQ(r.errors, "stackyard.yaml:5:7: web: env cycle: A -> B -> A\n");
  EXPECT_EQ(r.Env("web", "A"), "<absent>");
  EXPECT_EQ(r.Env("web", "C"), "<absent>");  // depends on the cycle: no second error
  EXPECT_EQ(r.Env("web", "D"), "ok");
}

TEST(EnvResolverTest, CyclesAcrossImports) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: api
    import: [web.Y]
    env: { X: "${Y}" }
  - id: web
    import: [api.X]
    env: { Y: "${X}", Z: ok }
)");
  EXPECT_EQ(r.errors, "stackyard.yaml:5:12: api: env cycle: X -> Y -> web.Y -> web.X -> X\n");
  EXPECT_EQ(std::count(r.errors.begin(), r.errors.end(), '\n'), 1);
  EXPECT_EQ(r.Env("web", "Z"), "ok");
  EXPECT_EQ(r.Env("web", "Y"), "<absent>");
  EXPECT_EQ(r.Env("api", "X"), "<absent>");
}

TEST(EnvResolverTest, ServiceImportCyclesWithoutVariableCyclesResolve) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: api
    import: [web.APP_URL]
    env: { CORS: "${APP_URL}" }
    exports: { API: "http://api" }
  - id: web
    import: [api.API]
    env: { APP_URL: https://web.test, CALL: "${API}/v1" }
)");
  ASSERT_EQ(r.errors, "");
  EXPECT_EQ(r.Env("api", "CORS"), "https://web.test");
  EXPECT_EQ(r.Env("web", "CALL"), "http://api/v1");
}

TEST(EnvResolverTest, UnknownVariablesAreErrorsAndAllAreCollected) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    env:
      A: "${NOPE}"
      B: "${ALSO_NOPE} ${B2}"
      B2: fine
  - id: api
    exports: { E: "${MISSING}" }
)");
  EXPECT_EQ(r.errors,
            "stackyard.yaml:5:7: web: env \"A\": unknown variable ${NOPE} (not in web's env or "
            "imports)\n"
            "stackyard.yaml:6:7: web: env \"B\": unknown variable ${ALSO_NOPE} (not in web's "
            "env or imports)\n"
            "stackyard.yaml:9:16: api: exports \"E\": unknown variable ${MISSING} (not in api's "
            "env or imports)\n");
  EXPECT_EQ(r.Env("web", "B2"), "fine");
}

constexpr std::string_view kParams = R"(version: 1
params:
  - id: level
    default: info
  - id: key
    type: secret
components:
  - id: web
    env:
      LEVEL: ${param:level}
      KEY: "k=${param:key}"
      OTHER: x
)";

TEST(EnvResolverTest, ParamsTakeDefaultsOrGivenValues) {
  Resolved r = Resolve(kParams, {{"key", "s3cret"}, {"stale", "ignored"}});
  ASSERT_EQ(r.errors, "");
  EXPECT_EQ(r.Service("web").env.at("LEVEL"), (EnvValue{"info", EnvOrigin::kParam, "level"}));
  EXPECT_EQ(r.Service("web").env.at("KEY"), (EnvValue{"k=s3cret", EnvOrigin::kEnv, "", true}));
  r = Resolve(kParams, {{"key", "s"}, {"level", "debug"}});
  EXPECT_EQ(r.Env("web", "LEVEL"), "debug");
}

constexpr std::string_view kSecrets = R"(version: 1
params:
  - id: key
    type: secret
  - id: level
    default: info
components:
  - id: web
    import: [db.*]
    env:
      PLAIN: ${param:level}
      FROM_KEY: "k=${param:key}"
      VIA: "${FROM_KEY}!"
      TOKEN: ${generate:hex:8}
addons:
  - id: db
    catalog: postgres
)";

// A value that holds a secret param or a generated value is marked, however it got there.
TEST(EnvResolverTest, SecretsAreMarkedThroughReferencesAndImports) {
  Resolved r = Resolve(kSecrets, {{"key", "s3cret"}});
  ASSERT_EQ(r.errors, "");
  const ServiceEnv& web = r.Service("web");
  EXPECT_FALSE(web.env.at("PLAIN").secret);
  EXPECT_TRUE(web.env.at("FROM_KEY").secret);
  EXPECT_TRUE(web.env.at("VIA").secret);
  EXPECT_TRUE(web.env.at("TOKEN").secret);
  EXPECT_TRUE(web.env.at("POSTGRES_PASSWORD").secret);
  EXPECT_EQ(web.env.at("POSTGRES_PASSWORD").origin, EnvOrigin::kImport);
  EXPECT_TRUE(web.env.at("DATABASE_URL").secret);
  EXPECT_FALSE(web.env.at("POSTGRES_USER").secret);
}

TEST(EnvResolverTest, MissingParamWithoutDefaultIsOneError) {
  Resolved r = Resolve(kParams);
  EXPECT_EQ(r.errors, "stackyard.yaml:5:5: param \"key\": no value given and no default\n");
  EXPECT_EQ(r.Env("web", "KEY"), "<absent>");
  EXPECT_EQ(r.Env("web", "OTHER"), "x");
}

constexpr std::string_view kGenerators = R"(version: 1
components:
  - id: web
    env:
      SECRET: ${generate:password:48}
      TWO: "${generate:hex:16}.${generate:uuid}"
    exports:
      TOKEN: ${generate:password}
)";

TEST(EnvResolverTest, GeneratedValuesAreStablePerDeployment) {
  SeededRandom random(7);
  InMemoryGeneratedValues generated(random);
  Resolved first = Resolve(kGenerators, {}, &generated);
  ASSERT_EQ(first.errors, "");
  EXPECT_EQ(generated.values().size(), 4u);
  EXPECT_EQ(generated.values().count("web/env/SECRET#0"), 1u);
  EXPECT_EQ(generated.values().count("web/env/TWO#1"), 1u);
  EXPECT_EQ(generated.values().count("web/exports/TOKEN#0"), 1u);
  EXPECT_EQ(first.Env("web", "SECRET").size(), 48u);
  EXPECT_EQ(first.Service("web").env.at("SECRET").origin, EnvOrigin::kGenerated);
  EXPECT_EQ(first.Service("web").env.at("SECRET").source, "web/env/SECRET#0");
  EXPECT_EQ(first.Env("web", "TWO"),
            generated.values().at("web/env/TWO#0") + "." + generated.values().at("web/env/TWO#1"));

  Resolved again = Resolve(kGenerators, {}, &generated);
  EXPECT_EQ(again.Env("web", "SECRET"), first.Env("web", "SECRET"));
  EXPECT_EQ(again.Env("web", "TWO"), first.Env("web", "TWO"));
  EXPECT_EQ(again.Export("web", "TOKEN"), first.Export("web", "TOKEN"));

  SeededRandom other_random(8);
  InMemoryGeneratedValues fresh(other_random);
  Resolved other = Resolve(kGenerators, {}, &fresh);
  EXPECT_NE(other.Env("web", "SECRET"), first.Env("web", "SECRET"));
  EXPECT_NE(other.Export("web", "TOKEN"), first.Export("web", "TOKEN"));

  InMemoryGeneratedValues restored(other_random);  // a clone: values copied, not regenerated
  for (const auto& [key, value] : generated.values()) restored.Set(key, value);
  EXPECT_EQ(Resolve(kGenerators, {}, &restored).Env("web", "SECRET"), first.Env("web", "SECRET"));
}

TEST(EnvResolverTest, BuildArgsTakeParamsAndGeneratorsOnly) {
  Resolved r = Resolve(R"(version: 1
params:
  - id: level
    default: info
components:
  - id: web
    env: { E: e }
    build:
      args:
        LEVEL: ${param:level}
        NONCE: "n-${generate:hex:8}"
        BAD: "${E}"
)");
  EXPECT_EQ(r.errors,
            "stackyard.yaml:12:9: web: build.args \"BAD\": ${E}: build args may only use "
            "${param:…} and ${generate:…}\n");
  const ServiceEnv& web = r.Service("web");
  EXPECT_EQ(web.build_args.at("LEVEL"), (EnvValue{"info", EnvOrigin::kParam, "level"}));
  EXPECT_EQ(web.build_args.at("NONCE").value.size(), 10u);
  EXPECT_EQ(web.build_args.at("NONCE").origin, EnvOrigin::kBuildArg);
  EXPECT_EQ(web.build_args.count("BAD"), 0u);
  EXPECT_EQ(web.env.count("LEVEL"), 0u);
}

TEST(EnvResolverTest, DollarEscapesAndBareDollars) {
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    env:
      PRICE: "$$5"
      LITERAL: "$${HOME}"
      SHELL: "$HOME/bin:$PATH $"
)");
  ASSERT_EQ(r.errors, "");
  EXPECT_EQ(r.Env("web", "PRICE"), "$5");
  EXPECT_EQ(r.Env("web", "LITERAL"), "${HOME}");
  EXPECT_EQ(r.Env("web", "SHELL"), "$HOME/bin:$PATH $");
}

TEST(EnvResolverTest, CatalogPostgresUrlCarriesTheGeneratedPassword) {
  SeededRandom random(1);
  InMemoryGeneratedValues generated(random);
  Resolved r = Resolve(R"(version: 1
components:
  - id: web
    import: [db.DATABASE_URL, cache.REDIS_URL]
addons:
  - id: db
    catalog: postgres
    env: { POSTGRES_DB: shop }
  - id: cache
    catalog: redis
)",
                       {}, &generated);
  ASSERT_EQ(r.errors, "");
  std::string password = generated.values().at("db/env/POSTGRES_PASSWORD#0");
  EXPECT_EQ(password.size(), 32u);
  EXPECT_EQ(r.Env("db", "POSTGRES_PASSWORD"), password);
  EXPECT_EQ(r.Env("web", "DATABASE_URL"), "postgres://app:" + password + "@db:5432/shop");
  EXPECT_EQ(r.Export("db", "PGPASSWORD"), password);
  EXPECT_EQ(r.Env("web", "REDIS_URL"),
            "redis://:" + generated.values().at("cache/env/REDIS_PASSWORD#0") + "@cache:6379/0");
  EXPECT_EQ(r.Env("web", "PGPASSWORD"), "<absent>");
}

TEST(EnvResolverTest, NulAndOversizedValuesAreErrors) {
  Resolved r = Resolve(kParams, {{"key", std::string("a\0b", 3)}});
  EXPECT_EQ(r.errors,
            "stackyard.yaml:11:7: web: env \"KEY\": the value contains a NUL character\n");
  EXPECT_EQ(r.Env("web", "KEY"), "<absent>");

  std::string yaml =
      "version: 1\ncomponents:\n  - id: web\n    env:\n      V0: "
      "0123456789abcdef0123456789abcdef\n";
  for (int i = 1; i <= 14; ++i) {
    yaml += "      V" + std::to_string(i) + ": \"${V" + std::to_string(i - 1) + "}${V" +
            std::to_string(i - 1) + "}\"\n";
  }
  r = Resolve(yaml);
  EXPECT_EQ(r.Env("web", "V12").size(), 32u << 12);  // 128 KiB: just fits
  EXPECT_EQ(r.Env("web", "V13"), "<absent>");
  EXPECT_EQ(r.errors, "stackyard.yaml:18:7: web: env \"V13\": the value is over 128 KiB\n");
}

TEST(EnvResolverTest, DeepChainsAreErrorsNotCrashes) {
  std::string yaml = "version: 1\ncomponents:\n  - id: web\n    env:\n";
  for (int i = 0; i < 5000; ++i) {
    yaml += "      V" + std::to_string(i) + ": \"${V" + std::to_string(i + 1) + "}\"\n";
  }
  yaml += "      V5000: end\n";
  Resolved r = Resolve(yaml);
  // Resolution starts from V0, V1, V10, V100, V1000, …: each chain that goes too deep fails
  // at its own place, once.
  EXPECT_EQ(r.errors.substr(0, 77),
            "stackyard.yaml:1005:7: web: env \"V1000\": references nest more than 1000 deep\n");
  EXPECT_EQ(std::count(r.errors.begin(), r.errors.end(), '\n'), 4) << r.errors;
  EXPECT_EQ(r.Env("web", "V4500"), "end");  // shallow enough from here
  EXPECT_EQ(r.Env("web", "V0"), "<absent>");
}

TEST(GeneratorTest, Formats) {
  SeededRandom random(3);
  std::string password = *Generate({GeneratorKind::kPassword, 200}, random);
  EXPECT_EQ(password.size(), 200u);
  EXPECT_TRUE(
      std::all_of(password.begin(), password.end(), [](char c) { return std::isalnum(c); }));
  std::string hex = *Generate({GeneratorKind::kHex, 63}, random);
  EXPECT_EQ(hex.size(), 63u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  std::string uuid = *Generate({GeneratorKind::kUuid, 0}, random);
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[23], '-');
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
  SystemRandom system;
  std::string a = *Generate({GeneratorKind::kPassword, 32}, system);
  std::string b = *Generate({GeneratorKind::kPassword, 32}, system);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

// Golden files.

std::string Read(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(EnvGoldenTest, ManifestsResolveToTheirEnv) {
  std::vector<stdfs::path> manifests;
  for (const char* folder : {"valid", "env"}) {
    for (const auto& entry :
         stdfs::directory_iterator(stdfs::path(YARD_MANIFEST_TESTDATA) / folder)) {
      if (entry.path().extension() == ".yaml") manifests.push_back(entry.path());
    }
  }
  std::sort(manifests.begin(), manifests.end());
  ASSERT_GE(manifests.size(), 11u);
  const char* update = std::getenv("YARD_UPDATE_GOLDEN");
  for (const stdfs::path& manifest : manifests) {
    SCOPED_TRACE(manifest.filename().string());
    Stack stack = Parse(Read(manifest));
    // Params without default get a fixed value: the first allowed one for an enum.
    std::map<std::string, std::string> params;
    for (const Param& param : stack.params) {
      if (!param.default_value) {
        params[param.id] = param.values.empty() ? "given-" + param.id : param.values.front();
      }
    }
    SeededRandom random(2026);
    InMemoryGeneratedValues generated(random);
    std::string actual = EnvResolutionJson(ResolveEnv(stack, Context(), params, generated));
    stdfs::path expected =
        stdfs::path(YARD_MANIFEST_TESTDATA) / "env" / (manifest.stem().string() + ".env.json");
    if (update != nullptr && std::string(update) == "1") {
      std::ofstream(expected, std::ios::binary) << actual;
    }
    EXPECT_EQ(Read(expected), actual);
  }
}

}  // namespace
}  // namespace yard::manifest
