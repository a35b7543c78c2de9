// Configuration without a controller or an engine: a project made from a real repository, an
// in-memory store and a fixed key. What is checked is what is stored, listed, and said to
// restart.

#include "deployments/configuration.h"

#include <gtest/gtest.h>

#include "deployments/deployment_service.h"
#include "git/test_repo.h"
#include "projects/project_service.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments {
namespace {

namespace gt = git::testing;
using ConfigMap = store::DeploymentStore::ConfigMap;

constexpr const char* kStack = R"(version: 1
stages:
  - id: production
    kind: build
  - id: dev
    kind: dev
params:
  - id: level
    type: enum
    values: [info, debug]
    default: info
  - id: key
    type: secret
  - id: workers
    type: integer
    default: 2
components:
  - id: web
    folder: app
    port: 8000
    import: [db.*]
    env:
      LEVEL: ${param:level}
      KEY: ${param:key}
      GREETING: hello
  - id: worker
    folder: app
    env:
      WORKERS: ${param:workers}
addons:
  - id: db
    catalog: postgres
)";

std::vector<std::string> Ids(const ConfigChange& change) {
  std::vector<std::string> out;
  for (const auto& service : change.services) out.push_back(service.id + ":" + service.action);
  return out;
}

class ConfigurationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", kStack);
    gt::WriteFile(source, "app/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    project_ = MUST(projects_.Create({"shop", source}, alice_));
    context_.deployments = &store_;
    context_.random = &random_;
    context_.secrets = &box_;
    service_.set_secrets(&box_);
    d_ = MUST(service_.Create(project_, {.name = "prod", .stage = "production",
                                         .params = {{"key", "first-key"}}},
                              alice_));
  }

  store::Deployment Reload() { return d_ = MUST(store_.Find(d_.id)); }

  const EnvEntry* Find(const std::vector<EnvEntry>& entries, const std::string& service,
                       const std::string& name) {
    for (const EnvEntry& entry : entries) {
      if (entry.service == service && entry.name == name) return &entry;
    }
    return nullptr;
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  store::DeploymentStore store_{*db_, clock_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  manifest::SeededRandom random_{7};
  secrets::SecretBox box_ = MUST(secrets::SecretBox::FromKey(std::string(32, 'k')));
  controller::ControllerContext context_;
  DeploymentService service_{store_, nullptr};
  Configuration config_{store_, context_, nullptr};
  store::User alice_;
  store::Project project_;
  store::Deployment d_;
};

TEST_F(ConfigurationTest, SecretParamsAreSealedAtCreation) {
  ASSERT_TRUE(secrets::IsSealed(d_.params.at("key"))) << d_.params.at("key");
  EXPECT_EQ(MUST(box_.Open(d_.params.at("key"))), "first-key");
}

TEST_F(ConfigurationTest, ListsEveryVariableWithItsOriginAndMasksSecrets) {
  std::vector<EnvEntry> env = MUST(config_.ListEnv(project_, d_, "", false));
  const EnvEntry* level = Find(env, "web", "LEVEL");
  ASSERT_NE(level, nullptr);
  EXPECT_EQ(level->origin, "param");
  EXPECT_EQ(level->source, "level");
  EXPECT_EQ(level->value, "info");
  const EnvEntry* greeting = Find(env, "web", "GREETING");
  ASSERT_NE(greeting, nullptr);
  EXPECT_EQ(greeting->origin, "manifest");
  const EnvEntry* key = Find(env, "web", "KEY");
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(key->secret);
  EXPECT_FALSE(key->value.has_value());
  const EnvEntry* password = Find(env, "db", "POSTGRES_PASSWORD");
  ASSERT_NE(password, nullptr);
  EXPECT_EQ(password->origin, "generated");
  EXPECT_TRUE(password->addon);
  EXPECT_FALSE(password->value.has_value());
  const EnvEntry* url = Find(env, "web", "DATABASE_URL");
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(url->origin, "import");
  EXPECT_EQ(url->source, "db.DATABASE_URL");
  EXPECT_TRUE(url->secret);
  EXPECT_FALSE(url->value.has_value());

  std::vector<EnvEntry> revealed = MUST(config_.ListEnv(project_, d_, "web", true));
  EXPECT_EQ(Find(revealed, "web", "KEY")->value, "first-key");
  EXPECT_EQ(Find(revealed, "worker", "WORKERS"), nullptr) << "one service only";

  // The generated password is stored sealed.
  for (const auto& [name, value] : MUST(store_.Values(d_.id))) {
    EXPECT_TRUE(secrets::IsSealed(value)) << name;
  }
  auto unknown = config_.ListEnv(project_, d_, "nope", false);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("services: web, worker, db"), std::string::npos)
      << unknown.error().message;
}

TEST_F(ConfigurationTest, AnOverrideOfOneComponentChangesOnlyIt) {
  ConfigChange change = MUST(config_.SetEnv(project_, d_, "TOKEN", "t0ps3cret", true, "web",
                                            alice_));
  EXPECT_EQ(Ids(change), std::vector<std::string>{"web:rollout"});
  int64_t version = d_.version;
  Reload();
  EXPECT_EQ(change.version, d_.version);
  EXPECT_GT(d_.version, version);
  ASSERT_TRUE(d_.env.contains("web:TOKEN"));
  EXPECT_TRUE(secrets::IsSealed(d_.env.at("web:TOKEN")));

  std::vector<EnvEntry> env = MUST(config_.ListEnv(project_, d_, "", false));
  const EnvEntry* token = Find(env, "web", "TOKEN");
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(token->origin, "override");
  EXPECT_EQ(token->source, "web");
  EXPECT_TRUE(token->secret);
  EXPECT_FALSE(token->value.has_value());
  EXPECT_EQ(Find(env, "worker", "TOKEN"), nullptr);
  EXPECT_EQ(Find(MUST(config_.ListEnv(project_, d_, "web", true)), "web", "TOKEN")->value,
            "t0ps3cret");

  // An override for every component changes both; the component's own one wins for web.
  change = MUST(config_.SetEnv(project_, d_, "TOKEN", "shared", false, "", alice_));
  EXPECT_EQ(Ids(change), std::vector<std::string>{"worker:rollout"});
  Reload();
  env = MUST(config_.ListEnv(project_, d_, "", true));
  EXPECT_EQ(Find(env, "worker", "TOKEN")->value, "shared");
  EXPECT_EQ(Find(env, "worker", "TOKEN")->source, "deployment");
  EXPECT_EQ(Find(env, "web", "TOKEN")->value, "t0ps3cret");

  change = MUST(config_.UnsetEnv(project_, d_, "TOKEN", "web", alice_));
  EXPECT_EQ(Ids(change), std::vector<std::string>{"web:rollout"});
  Reload();
  EXPECT_FALSE(d_.env.contains("web:TOKEN"));
  auto missing = config_.UnsetEnv(project_, d_, "TOKEN", "web", alice_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("overrides: TOKEN"), std::string::npos);
}

TEST_F(ConfigurationTest, BadOverridesAreRefusedAndChangeNothing) {
  int64_t version = d_.version;
  for (auto [name, component] : {std::pair{"1X", ""}, std::pair{"A-B", ""},
                                 std::pair{"OK", "db"}, std::pair{"OK", "nope"}}) {
    auto set = config_.SetEnv(project_, d_, name, "v", false, component, alice_);
    ASSERT_FALSE(set) << name << " " << component;
    EXPECT_EQ(set.error().code, ErrorCode::kInvalidArgument);
  }
  auto addon = config_.SetEnv(project_, d_, "OK", "v", false, "db", alice_);
  EXPECT_NE(addon.error().message.find("add-on"), std::string::npos);
  auto reserved = config_.SetEnv(project_, d_, "OK", "enc:v1:abc", false, "", alice_);
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error().message.find("reserved"), std::string::npos);
  EXPECT_EQ(Reload().version, version);
}

TEST_F(ConfigurationTest, ParamsAreCheckedAndChangeWhatUsesThem) {
  ConfigChange change = MUST(config_.SetParam(project_, d_, "workers", "4", alice_));
  EXPECT_EQ(Ids(change), std::vector<std::string>{"worker:rollout"});
  Reload();
  EXPECT_EQ(d_.params.at("workers"), "4");

  auto enum_value = config_.SetParam(project_, d_, "level", "loud", alice_);
  ASSERT_FALSE(enum_value);
  EXPECT_NE(enum_value.error().message.find("info, debug"), std::string::npos);
  auto integer = config_.SetParam(project_, d_, "workers", "many", alice_);
  ASSERT_FALSE(integer);
  auto unknown = config_.SetParam(project_, d_, "colour", "red", alice_);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("params: level, key, workers"), std::string::npos)
      << unknown.error().message;

  MUST(config_.SetParam(project_, d_, "key", "second-key", alice_));
  Reload();
  EXPECT_TRUE(secrets::IsSealed(d_.params.at("key")));
  std::vector<ParamEntry> params = MUST(config_.ListParams(project_, d_, false));
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[1].id, "key");
  EXPECT_TRUE(params[1].secret);
  EXPECT_TRUE(params[1].set);
  EXPECT_FALSE(params[1].value.has_value());
  EXPECT_EQ(MUST(config_.ListParams(project_, d_, true))[1].value, "second-key");
  EXPECT_EQ(params[2].value, "4");
  EXPECT_EQ(params[2].default_value, "2");
  EXPECT_FALSE(params[0].set);
  EXPECT_EQ(params[0].value, "info");

  auto no_default = config_.UnsetParam(project_, d_, "key", alice_);
  ASSERT_FALSE(no_default);
  EXPECT_EQ(no_default.error().code, ErrorCode::kFailedPrecondition);
  change = MUST(config_.UnsetParam(project_, d_, "workers", alice_));
  EXPECT_EQ(Ids(change), std::vector<std::string>{"worker:rollout"});
  EXPECT_FALSE(Reload().params.contains("workers"));
  EXPECT_EQ(config_.UnsetParam(project_, d_, "workers", alice_).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ConfigurationTest, DevelopmentComponentsRestart) {
  store::Deployment dev = MUST(service_.Create(
      project_, {.name = "dev", .stage = "dev", .params = {{"key", "k"}}}, alice_));
  ConfigChange change = MUST(config_.SetEnv(project_, dev, "X", "1", false, "", alice_));
  EXPECT_EQ(Ids(change), (std::vector<std::string>{"web:restart", "worker:restart"}));
}

TEST_F(ConfigurationTest, StartUpSealsPlainValuesOnce) {
  // What an older server stored: a plain secret param and a plain generated value.
  MUST(store_.ResealConfigEntry(d_.id, ConfigMap::kParams, "key", d_.params.at("key"), "plain"));
  MUST(store_.AddValues(d_.id, {{"db/env/POSTGRES_PASSWORD#0", "pw"}}));
  MUST(store_.SetConfigEntry(d_.id, ConfigMap::kParams, "workers", "3"));
  MUST(SealStoredSecrets(store_, project_store_, box_, false));
  Reload();
  ASSERT_TRUE(secrets::IsSealed(d_.params.at("key")));
  EXPECT_EQ(MUST(box_.Open(d_.params.at("key"))), "plain");
  EXPECT_EQ(d_.params.at("workers"), "3") << "not a secret";
  std::string sealed = MUST(store_.Values(d_.id)).at("db/env/POSTGRES_PASSWORD#0");
  EXPECT_EQ(MUST(box_.Open(sealed)), "pw");

  MUST(SealStoredSecrets(store_, project_store_, box_, false));
  EXPECT_EQ(MUST(store_.Find(d_.id)).params.at("key"), d_.params.at("key")) << "idempotent";
  EXPECT_EQ(MUST(store_.Values(d_.id)).at("db/env/POSTGRES_PASSWORD#0"), sealed);

  // A new key while sealed values exist: the old one was lost.
  auto lost = SealStoredSecrets(store_, project_store_, box_, true);
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().message.find("restore"), std::string::npos);
}

}  // namespace
}  // namespace yard::deployments
