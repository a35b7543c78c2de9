// The custom domain routes, called through the router against an in-memory store and real
// repositories (no controller: changes are only recorded).

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "git/test_repo.h"
#include "store/domains.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

constexpr const char* kOneEndpoint = R"(version: 1
components:
  - id: web
    port: 8000
    endpoints:
      - id: app
)";

constexpr const char* kTwoEndpoints = R"(version: 1
components:
  - id: web
    port: 8000
    ports: [9000]
    endpoints:
      - id: app
      - id: console
        port: 9000
)";

constexpr const char* kBroken = "version: 1\ncomponents:\n  - id: web\n    port: 70000\n";

class DomainRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    // Before the routes are added: they are added only when deployments are served.
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));

    // main: one endpoint; two: two endpoints; broken: an invalid manifest.
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source, "stackyard.yaml", kOneEndpoint);
    gt::CommitAll(source, "one endpoint", 1'700'000'000);
    gt::Git(source, {"checkout", "-q", "-b", "two"});
    gt::WriteFile(source, "stackyard.yaml", kTwoEndpoints);
    gt::CommitAll(source, "two endpoints", 1'700'000'100);
    gt::Git(source, {"checkout", "-q", "-b", "broken"});
    gt::WriteFile(source, "stackyard.yaml", kBroken);
    broken_commit_ = gt::CommitAll(source, "break it", 1'700'000'200);
    gt::Git(source, {"checkout", "-q", "main"});

    // shop is alice's; blog is the admin's, and alice is not a member.
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    store::Project blog = MUST(projects_.Create({"blog", source}, admin));
    shop_prod_ = MUST(deployment_service_.Create(shop, {.name = "prod"}, alice));
    MUST(deployment_service_.Create(shop, {.name = "two", .branch = "two"}, alice));
    MUST(deployment_service_.Create(blog, {.name = "prod"}, admin));
  }

  static std::string Domains(const std::string& deployment) {
    return "/api/v1/projects/" + deployment.substr(0, deployment.find('/')) + "/deployments/" +
           deployment.substr(deployment.find('/') + 1) + "/domains";
  }

  http::Response Add(const std::string& deployment, const Json& body,
                     const std::string& token = "") {
    return Call("POST", Domains(deployment), token.empty() ? user_token_ : token, body.dump());
  }

  static std::string Message(const http::Response& response) {
    return BodyOf(response)["error"]["message"].get<std::string>();
  }

  store::DeploymentStore deployment_store_{*db_, clock_};
  store::DomainStore domain_store_{*db_, clock_};
  deployments::DeploymentService deployment_service_{
      deployment_store_, nullptr, {.store = &domain_store_, .base_domain = "apps.example.com"}};
  store::Deployment shop_prod_;
  std::string broken_commit_;
};

TEST_F(DomainRoutesTest, AddsListsAndRemoves) {
  auto added = Add("shop/prod", {{"hostname", "WWW.Shop.Example."}});
  ASSERT_EQ(added.status, 201) << added.body;
  Json domain = BodyOf(added);
  EXPECT_EQ(domain["hostname"], "www.shop.example");
  EXPECT_EQ(domain["endpoint"], "app");  // the stack's only endpoint
  EXPECT_EQ(domain["created_at"], "2027-01-15T08:00:00Z");
  ASSERT_EQ(Add("shop/prod", {{"hostname", "shop.example"}, {"endpoint", "app"}}).status, 201);

  Json listed = BodyOf(Call("GET", Domains("shop/prod"), user_token_));
  ASSERT_EQ(listed["domains"].size(), 2u);
  EXPECT_EQ(listed["domains"][0]["hostname"], "shop.example");
  EXPECT_EQ(listed["domains"][1], domain);
  EXPECT_EQ(BodyOf(Call("GET", Domains("shop/two"), user_token_))["domains"].size(), 0u);
  // Each change counts as a change of the deployment, for clients that wait for it.
  EXPECT_EQ(MUST(deployment_store_.Find(shop_prod_.id)).version, shop_prod_.version + 2);

  EXPECT_EQ(Call("DELETE", Domains("shop/prod") + "/WWW.shop.example", user_token_).status, 204);
  listed = BodyOf(Call("GET", Domains("shop/prod"), user_token_));
  ASSERT_EQ(listed["domains"].size(), 1u);
  EXPECT_EQ(listed["domains"][0]["hostname"], "shop.example");
}

TEST_F(DomainRoutesTest, AnEndpointIsChosenFromTheStackAtTheDeploymentsCommit) {
  auto unsaid = Add("shop/two", {{"hostname", "www.shop.example"}});
  EXPECT_EQ(unsaid.status, 400);
  EXPECT_NE(Message(unsaid).find("app, console"), std::string::npos) << unsaid.body;
  auto unknown = Add("shop/two", {{"hostname", "www.shop.example"}, {"endpoint", "nope"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(Message(unknown).find("no endpoint 'nope'; endpoints: app, console"), std::string::npos)
      << unknown.body;
  // shop/prod's commit has no console endpoint, though the branch `two` has.
  EXPECT_EQ(Add("shop/prod", {{"hostname", "www.shop.example"}, {"endpoint", "console"}}).status,
            400);
  auto chosen = Add("shop/two", {{"hostname", "admin.shop.example"}, {"endpoint", "console"}});
  ASSERT_EQ(chosen.status, 201) << chosen.body;
  EXPECT_EQ(BodyOf(chosen)["endpoint"], "console");
}

TEST_F(DomainRoutesTest, AHostnameServesOneDeployment) {
  ASSERT_EQ(Add("shop/prod", {{"hostname", "www.shop.example"}}).status, 201);
  auto taken = Add("shop/two", {{"hostname", "www.shop.example."}, {"endpoint", "app"}});
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(BodyOf(taken)["error"]["code"], "already_exists");
  EXPECT_NE(Message(taken).find("deployment 'prod' of project 'shop'"), std::string::npos)
      << taken.body;
  auto again = Add("shop/prod", {{"hostname", "www.shop.example"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(Message(again).find("already a domain of this deployment"), std::string::npos)
      << again.body;
}

TEST_F(DomainRoutesTest, ProjectsTheCallerCannotSeeAreNotNamed) {
  ASSERT_EQ(Add("blog/prod", {{"hostname", "www.blog.example"}}, admin_token_).status, 201);
  auto hidden = Add("shop/prod", {{"hostname", "www.blog.example"}});
  EXPECT_EQ(hidden.status, 409);
  EXPECT_EQ(Message(hidden),
            "'www.blog.example' is already used by a deployment of another project");
  auto named = Add("shop/prod", {{"hostname", "www.blog.example"}}, admin_token_);
  EXPECT_EQ(named.status, 409);
  EXPECT_NE(Message(named).find("project 'blog'"), std::string::npos) << named.body;
}

TEST_F(DomainRoutesTest, InvalidRequestsAreRefusedWithTheReason) {
  struct Case {
    std::string body;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"hostname": "*.shop.example"})", "wildcard"},
           Case{R"({"hostname": "10.0.0.1"})", "IP address"},
           Case{R"({"hostname": "shop_1.example"})", "label 'shop_1'"},
           Case{R"({"hostname": "shop"})", "single label"},
           Case{R"({"hostname": "localhost"})", "'localhost'"},
           Case{R"({"hostname": "apps.example.com"})", "base domain"},
           Case{R"({"hostname": "web-prod-shop.apps.example.com"})", "one label under"},
           Case{R"({"hostname": "bücher.example"})", "punycode"},
           Case{R"({})", "'hostname' is required"},
           Case{R"({"hostname": 5})", "'hostname' must be a string"},
           Case{R"({"hostname": "a.example", "endpoint": 1})", "'endpoint' must be a string"},
           Case{R"({"hostname": "a.example", "port": 80})", "unknown field 'port'"},
           Case{R"({"hostname": )", "malformed JSON"},
           Case{R"(["a.example"])", "JSON object"},
       }) {
    auto response = Call("POST", Domains("shop/prod"), user_token_, c.body);
    EXPECT_EQ(response.status, 400) << c.body;
    EXPECT_EQ(BodyOf(response)["error"]["code"], "invalid_argument") << c.body;
    EXPECT_NE(Message(response).find(c.message), std::string::npos)
        << c.body << " -> " << response.body;
  }
  EXPECT_EQ(BodyOf(Call("GET", Domains("shop/prod"), user_token_))["domains"].size(), 0u);
}

TEST_F(DomainRoutesTest, UnknownThingsAreNotFound) {
  ASSERT_EQ(Add("shop/prod", {{"hostname", "www.shop.example"}}).status, 201);
  EXPECT_EQ(Call("GET", Domains("shop/nope"), user_token_).status, 404);
  EXPECT_EQ(Call("GET", Domains("nope/prod"), user_token_).status, 404);
  // Another project's deployment looks the same as a missing one.
  EXPECT_EQ(Call("GET", Domains("blog/prod"), user_token_).status, 404);
  EXPECT_EQ(Add("blog/prod", {{"hostname", "www.blog.example"}}).status, 404);
  EXPECT_EQ(Add("shop/nope", {{"hostname", "www.shop.example"}}).status, 404);

  auto missing = Call("DELETE", Domains("shop/prod") + "/other.example", user_token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Message(missing), "deployment 'prod' has no domain 'other.example'");
  // A domain is removed through its own deployment only.
  EXPECT_EQ(Call("DELETE", Domains("shop/two") + "/www.shop.example", user_token_).status, 404);
  EXPECT_EQ(Call("DELETE", Domains("blog/prod") + "/www.shop.example", user_token_).status, 404);
  EXPECT_EQ(BodyOf(Call("GET", Domains("shop/prod"), user_token_))["domains"].size(), 1u);
  // Authentication first, as on every route under /api/.
  EXPECT_EQ(Call("GET", Domains("shop/prod"), "").status, 401);
}

TEST_F(DomainRoutesTest, NoDomainsWhileTheStackCannotBeReadOrTheDeploymentGoes) {
  MUST(deployment_store_.SetTargetCommit(shop_prod_.id, broken_commit_));
  auto unreadable = Add("shop/prod", {{"hostname", "www.shop.example"}});
  EXPECT_EQ(unreadable.status, 409);
  EXPECT_EQ(BodyOf(unreadable)["error"]["code"], "failed_precondition");
  std::string expected = "cannot read the deployment's endpoints: the manifest on commit " +
                         broken_commit_.substr(0, 12) + " is invalid";
  EXPECT_NE(Message(unreadable).find(expected), std::string::npos) << unreadable.body;

  MUST(deployment_store_.SetDesired(shop_prod_.id, store::Desired::kDeleted));
  auto deleting = Add("shop/prod", {{"hostname", "www.shop.example"}});
  EXPECT_EQ(deleting.status, 409);
  EXPECT_NE(Message(deleting).find("being deleted"), std::string::npos) << deleting.body;
}

}  // namespace
}  // namespace yard::api
