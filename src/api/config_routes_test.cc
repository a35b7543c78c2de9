// …/env and …/params through the router, without a controller: masking and reveal (owners
// and admins only), changes and what they restart, bad requests that change nothing.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

constexpr const char* kStack = R"(version: 1
stages:
  - { id: production, kind: build }
params:
  - { id: key, type: secret, default: "" }
  - { id: level, type: enum, values: [info, debug], default: info }
components:
  - id: web
    folder: app
    port: 8000
    env: { KEY: "${param:key}", LEVEL: "${param:level}" }
  - id: worker
    folder: app
    env: { MODE: work }
)";

class ConfigRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.configuration = &configuration_;
    context_.deployments = &deployment_store_;
    context_.random = &random_;
    context_.secrets = &box_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    bob_token_ = MakeUser("bob", store::Role::kUser);
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", kStack);
    gt::WriteFile(source, "app/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    MUST(project_store_.AddMember(shop.id, MUST(users_.FindByName("bob")).id,
                                  store::MemberRole::kMember));
    d_ = MUST(deployment_service_.Create(shop, {.name = "prod"}, alice));
  }

  std::string Path(const std::string& rest) {
    return "/api/v1/projects/shop/deployments/prod" + rest;
  }

  // The listed variable, or null.
  Json Variable(const Json& body, const std::string& service, const std::string& name) {
    for (const Json& variable : body["variables"]) {
      if (variable["service"] == service && variable["name"] == name) return variable;
    }
    return Json();
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  manifest::SeededRandom random_{1};
  secrets::SecretBox box_ = MUST(secrets::SecretBox::FromKey(std::string(32, 'x')));
  controller::ControllerContext context_;
  deployments::Configuration configuration_{deployment_store_, context_, nullptr};
  std::string bob_token_;
  store::Deployment d_;
};

TEST_F(ConfigRoutesTest, SecretsAreWriteOnlyUnlessAnOwnerReveals) {
  http::Response set = Call("PUT", Path("/env/TOKEN"), bob_token_,
                            R"({"value": "hunter2", "secret": true, "component": "web"})");
  ASSERT_EQ(set.status, 202) << set.body;
  Json change = BodyOf(set);
  EXPECT_EQ(change["services"], Json::parse(R"([{"service": "web", "action": "rollout"}])"));
  EXPECT_GT(change["version"].get<int64_t>(), d_.version);

  // A member sees that it is there, not what it is; nor does the deployment's view tell.
  http::Response listed = Call("GET", Path("/env"), bob_token_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.body.find("hunter2"), std::string::npos);
  Json token = Variable(BodyOf(listed), "web", "TOKEN");
  EXPECT_EQ(token["value"], nullptr);
  EXPECT_EQ(token["secret"], true);
  EXPECT_EQ(token["origin"], "override");
  EXPECT_EQ(token["source"], "web");
  EXPECT_TRUE(Variable(BodyOf(listed), "worker", "TOKEN").is_null());
  http::Response shown = Call("GET", Path(""), bob_token_);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(BodyOf(shown)["env"]["web:TOKEN"], nullptr);

  http::Response refused = Call("GET", Path("/env?reveal=true"), bob_token_);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("owners of 'shop' and admins"), std::string::npos) << refused.body;

  for (const std::string& owner : {user_token_, admin_token_}) {
    http::Response revealed = Call("GET", Path("/env?reveal=true&component=web"), owner);
    ASSERT_EQ(revealed.status, 200) << revealed.body;
    EXPECT_EQ(Variable(BodyOf(revealed), "web", "TOKEN")["value"], "hunter2");
    EXPECT_TRUE(Variable(BodyOf(revealed), "worker", "MODE").is_null());
  }

  http::Response removed = Call("DELETE", Path("/env/TOKEN?component=web"), bob_token_);
  ASSERT_EQ(removed.status, 202) << removed.body;
  EXPECT_EQ(Call("DELETE", Path("/env/TOKEN?component=web"), bob_token_).status, 404);
}

TEST_F(ConfigRoutesTest, Params) {
  ASSERT_EQ(Call("PUT", Path("/params/key"), bob_token_, R"({"value": "k3y"})").status, 202);
  http::Response listed = Call("GET", Path("/params"), bob_token_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find("k3y"), std::string::npos);
  Json params = BodyOf(listed)["params"];
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0]["id"], "key");
  EXPECT_EQ(params[0]["value"], nullptr);
  EXPECT_EQ(params[0]["set"], true);
  EXPECT_EQ(params[1]["value"], "info");
  EXPECT_EQ(params[1]["values"], Json::parse(R"(["info", "debug"])"));
  EXPECT_EQ(BodyOf(Call("GET", Path("/params?reveal=1"), user_token_))["params"][0]["value"],
            "k3y");
  EXPECT_EQ(Call("GET", Path("/params?reveal=1"), bob_token_).status, 403);
  // The env of web has the secret param, masked.
  Json key = Variable(BodyOf(Call("GET", Path("/env"), bob_token_)), "web", "KEY");
  EXPECT_EQ(key["origin"], "param");
  EXPECT_EQ(key["value"], nullptr);

  http::Response level = Call("PUT", Path("/params/level"), bob_token_, R"({"value": "debug"})");
  ASSERT_EQ(level.status, 202);
  EXPECT_EQ(BodyOf(level)["services"],
            Json::parse(R"([{"service": "web", "action": "rollout"}])"));
  ASSERT_EQ(Call("DELETE", Path("/params/level"), bob_token_).status, 202);
  EXPECT_EQ(Call("DELETE", Path("/params/level"), bob_token_).status, 404);
}

TEST_F(ConfigRoutesTest, BadRequestsChangeNothing) {
  int64_t version = d_.version;
  struct Case {
    const char* method;
    std::string path;
    const char* body;
    int status;
    const char* says;
  };
  for (const Case& bad : std::vector<Case>{
           {"PUT", Path("/env/1BAD"), R"({"value": "x"})", 400, "not a valid variable name"},
           {"PUT", Path("/env/OK"), R"({"value": 1})", 400, "value"},
           {"PUT", Path("/env/OK"), R"({})", 400, "value"},
           {"PUT", Path("/env/OK"), R"({"value": "x", "colour": 1})", 400, "colour"},
           {"PUT", Path("/env/OK"), R"({"value": "x", "component": "nope"})", 400,
            "components: web, worker"},
           {"PUT", Path("/params/nope"), R"({"value": "x"})", 400, "params: key, level"},
           {"PUT", Path("/params/level"), R"({"value": "loud"})", 400, "info, debug"},
           {"GET", Path("/env?reveal=maybe"), "", 400, "reveal"},
           {"GET", Path("/env?component=nope"), "", 404, "services: web, worker"},
           {"DELETE", Path("/env/NONE"), "", 404, "no overrides"},
           {"GET", "/api/v1/projects/shop/deployments/nope/env", "", 404, "nope"},
       }) {
    http::Response response = Call(bad.method, bad.path, bob_token_, bad.body);
    EXPECT_EQ(response.status, bad.status) << bad.path << " " << response.body;
    EXPECT_NE(response.body.find(bad.says), std::string::npos) << bad.path << " " << response.body;
  }
  EXPECT_EQ(MUST(deployment_store_.Find(d_.id)).version, version);
}

}  // namespace
}  // namespace yard::api
