// Env and params end to end on the real Podman engine through `yard env` and `yard params`
// (docs/configuration.md): a secret is masked unless revealed, never in the SQLite files in
// plain text, and in its component's container; a change to one component's env replaces
// that component's container and leaves the other's alone.

#include <set>

#include "deployment_test_base.h"

namespace yard {
namespace {

constexpr std::string_view kSecretEnv = "s3cr3t-env-value-4711";
constexpr std::string_view kSecretParam = "s3cr3t-param-value-0815";

class ConfigurationTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("conf", "tests/testdata/config-site");
  }

  // `yard ARGS --json` with `input` on stdin; the test fails unless it exits 0.
  Json YardWithInput(std::vector<std::string> args, const std::string& input) {
    args.push_back("--json");
    ProcessResult result = testing::RunYard(AsAdmin(args), {}, input);
    EXPECT_EQ(result.exit_code, 0) << fmt::format("yard {}\n", fmt::join(args, " "))
                                   << result.stderr_data;
    Json json = Json::parse(result.stdout_data, nullptr, false);
    return json.is_discarded() ? Json() : json;
  }

  // The only running container of `service`, once the one it replaces (`old`, if any) is
  // gone; "" when that does not happen within three minutes.
  std::string SoleContainer(const std::string& service, const std::string& old = "") {
    auto deadline = std::chrono::steady_clock::now() + 3min;
    while (std::chrono::steady_clock::now() < deadline) {
      std::vector<std::string> ids = ContainersOf(service);
      if (ids.size() == 1 && ids.front() != old) return ids.front();
      std::this_thread::sleep_for(500ms);
    }
    return "";
  }

  std::string EnvOf(const std::string& container, const std::string& name) {
    std::string value = Podman({"exec", container, "printenv", name});
    if (value.ends_with('\n')) value.pop_back();
    return value;
  }

  // The store's bytes: the database and its write-ahead log.
  std::string StoreBytes() {
    std::string bytes;
    for (const char* file : {"/stackyard.db", "/stackyard.db-wal"}) {
      auto read = fs::ReadFile(server_->data_dir() + file);
      if (read) bytes += *read;
    }
    return bytes;
  }

  static Json Variable(const Json& listing, const std::string& service, const std::string& name) {
    for (const Json& variable : listing["variables"]) {
      if (variable["service"] == service && variable["name"] == name) return variable;
    }
    return Json();
  }
};

TEST_F(ConfigurationTest, SecretsStayHiddenAndAChangeReplacesOnlyItsComponent) {
  Json d = Yard({"deployments", "create", "conf/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::string web = SoleContainer("web");
  std::string worker = SoleContainer("worker");
  ASSERT_FALSE(web.empty());
  ASSERT_FALSE(worker.empty());

  // A secret override for web, read from stdin: only web rolls out.
  Json set = YardWithInput({"env", "set", "conf/prod", "TOKEN=-", "--secret", "--component",
                            "web"},
                           std::string(kSecretEnv) + "\n");
  ASSERT_EQ(set["changes"].size(), 1u) << set.dump(2);
  EXPECT_EQ(set["changes"][0]["services"],
            Json::parse(R"([{"service": "web", "action": "rollout"}])"));
  // And a secret param, which web uses.
  YardWithInput({"params", "set", "conf/prod", "api_key=-"}, std::string(kSecretParam));

  // Listed masked, with where each value comes from; revealed on request.
  Json listed = Yard({"env", "list", "conf/prod"});
  EXPECT_EQ(listed.dump().find(kSecretEnv), std::string::npos);
  EXPECT_EQ(listed.dump().find(kSecretParam), std::string::npos);
  Json token = Variable(listed, "web", "TOKEN");
  EXPECT_EQ(token["value"], nullptr) << token.dump();
  EXPECT_EQ(token["secret"], true);
  EXPECT_EQ(token["origin"], "override");
  EXPECT_EQ(Variable(listed, "web", "API_KEY")["origin"], "param");
  EXPECT_EQ(Variable(listed, "web", "API_KEY")["value"], nullptr);
  EXPECT_EQ(Variable(listed, "web", "SESSION")["origin"], "generated");
  EXPECT_EQ(Variable(listed, "web", "SESSION")["value"], nullptr);
  EXPECT_EQ(Variable(listed, "web", "LEVEL")["value"], "info");
  EXPECT_TRUE(Variable(listed, "worker", "TOKEN").is_null());
  Json shown = Yard({"deployments", "show", "conf/prod"});
  EXPECT_EQ(shown.dump().find(kSecretEnv), std::string::npos);
  EXPECT_EQ(shown.dump().find(kSecretParam), std::string::npos);
  Json params = Yard({"params", "list", "conf/prod"});
  EXPECT_EQ(params.dump().find(kSecretParam), std::string::npos);

  Json revealed = Yard({"env", "list", "conf/prod", "--component", "web", "--reveal"});
  EXPECT_EQ(Variable(revealed, "web", "TOKEN")["value"], kSecretEnv);
  EXPECT_EQ(Variable(revealed, "web", "API_KEY")["value"], kSecretParam);
  std::string session = Variable(revealed, "web", "SESSION").value("value", "");
  ASSERT_EQ(session.size(), 24u);

  // The store holds none of them in plain text.
  std::string bytes = StoreBytes();
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(kSecretEnv), std::string::npos);
  EXPECT_EQ(bytes.find(kSecretParam), std::string::npos);
  EXPECT_EQ(bytes.find(session), std::string::npos);
  EXPECT_NE(bytes.find("enc:v1:"), std::string::npos);

  // web was replaced and has them; worker was left alone and has none.
  Yard({"deployments", "show", "conf/prod", "--wait"});
  std::string new_web = SoleContainer("web", web);
  ASSERT_FALSE(new_web.empty()) << "web was not replaced";
  EXPECT_EQ(EnvOf(new_web, "TOKEN"), kSecretEnv);
  EXPECT_EQ(EnvOf(new_web, "API_KEY"), kSecretParam);
  EXPECT_EQ(EnvOf(new_web, "SESSION"), session);
  EXPECT_EQ(ContainersOf("worker"), std::vector<std::string>{worker});
  EXPECT_EQ(EnvOf(worker, "TOKEN"), "");

  // A change to worker alone replaces worker and leaves web alone.
  Json worker_set = Yard({"env", "set", "conf/prod", "MODE=fast", "--component", "worker"});
  EXPECT_EQ(worker_set["changes"][0]["services"],
            Json::parse(R"([{"service": "worker", "action": "rollout"}])"));
  Yard({"deployments", "show", "conf/prod", "--wait"});
  std::string new_worker = SoleContainer("worker", worker);
  ASSERT_FALSE(new_worker.empty()) << "worker was not replaced";
  EXPECT_EQ(EnvOf(new_worker, "MODE"), "fast");
  EXPECT_EQ(ContainersOf("web"), std::vector<std::string>{new_web});

  // Unset: back to the manifest; bad input is refused and changes nothing.
  Yard({"env", "unset", "conf/prod", "MODE", "--component", "worker"});
  ProcessResult bad = testing::RunYard(AsAdmin({"params", "set", "conf/prod", "level=loud"}));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.stderr_data.find("info, debug"), std::string::npos) << bad.stderr_data;
  ProcessResult unknown = testing::RunYard(AsAdmin({"params", "set", "conf/prod", "nope=1"}));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.stderr_data.find("params: api_key, level"), std::string::npos)
      << unknown.stderr_data;
}

}  // namespace
}  // namespace yard
