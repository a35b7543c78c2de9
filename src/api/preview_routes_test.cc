// Preview deployments through the API: the project setting (PATCH, and how projects show it)
// and how a preview deployment shows, against an in-memory store and a real repository,
// without a controller.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "deployments/previews.h"
#include "git/test_repo.h"
#include "store/preview_branches.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

class PreviewRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.previews = &previews_;
    ApiFixture::SetUp();
    alice_ = MUST(users_.FindByName("alice"));
    source_ = dir_.File("source");
    gt::InitSource(source_);
    gt::WriteFile(source_, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source_, "stackyard.yaml",
                  "version: 1\ncomponents:\n  - id: web\n    port: 8000\n");
    gt::CommitAll(source_, "first", 1'700'000'000);
    shop_ = MUST(projects_.Create({"shop", source_}, alice_));
  }

  http::Response Patch(const std::string& body) {
    return Call("PATCH", "/api/v1/projects/shop", user_token_, body);
  }
  static std::string Message(const http::Response& response) {
    return BodyOf(response)["error"]["message"].get<std::string>();
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  store::PreviewBranchStore preview_branches_{*db_};
  deployments::Previews previews_{{project_store_, deployment_store_, preview_branches_, users_},
                                  deployment_service_,
                                  clock_};
  store::User alice_;
  store::Project shop_;
  std::string source_;
};

TEST_F(PreviewRoutesTest, PatchTurnsPreviewsOnAndOffAndProjectsShowThem) {
  EXPECT_TRUE(BodyOf(Call("GET", "/api/v1/projects/shop", user_token_))["previews"].is_null());

  auto on = Patch(R"({"previews": {"pattern": "refs/heads/feature/*", "stage": "staging",
                                   "expire_after": "3d"}})");
  ASSERT_EQ(on.status, 200) << on.body;
  Json previews = BodyOf(on)["previews"];
  EXPECT_EQ(previews["pattern"], "feature/*");
  EXPECT_EQ(previews["stage"], "staging");
  EXPECT_EQ(previews["expire_after"], "3d");
  EXPECT_EQ(previews["expire_after_seconds"], 3 * 86400);
  Json listed = BodyOf(Call("GET", "/api/v1/projects", user_token_))["projects"];
  EXPECT_EQ(listed[0]["previews"]["pattern"], "feature/*");

  // Left out, the time to live stays; other settings are left alone.
  auto changed = Patch(R"({"previews": {"pattern": "preview/**", "stage": "production"},
                           "deny_delete": false})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(BodyOf(changed)["previews"]["pattern"], "preview/**");
  EXPECT_EQ(BodyOf(changed)["previews"]["expire_after"], "3d");
  EXPECT_EQ(BodyOf(changed)["deny_delete"], false);

  auto off = Patch(R"({"previews": null})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_TRUE(BodyOf(off)["previews"].is_null());
}

TEST_F(PreviewRoutesTest, BadSettingsAre400sWithTheReason) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"previews": "feature/*"})", "'previews' must be an object"},
           {R"({"previews": {"stage": "staging"}})", "'pattern' is required"},
           {R"({"previews": {"pattern": "", "stage": "staging"}})", "send \"previews\": null"},
           {R"({"previews": {"pattern": "a b", "stage": "staging"}})",
            "'a b' is not a branch name or pattern"},
           {R"({"previews": {"pattern": "feature/*"}})", "'stage' is required"},
           {R"({"previews": {"pattern": "feature/*", "stage": "qa"}})",
            "the stack on branch 'main' has no stage 'qa'; stages: development, staging, "
            "production"},
           {R"({"previews": {"pattern": "feature/*", "stage": "staging", "expire_after": "soon"}})",
            "'expire_after' must be a duration from 1h to 365d"},
           {R"({"previews": {"pattern": "feature/*", "stage": "staging", "expire_after": "30m"}})",
            "between 1h and 365d"},
           {R"({"previews": {"pattern": "feature/*", "stage": "staging", "ttl": "1d"}})",
            "ttl"},
       }) {
    auto response = Patch(c.body);
    EXPECT_EQ(response.status, 400) << c.body << "\n" << response.body;
    if (response.status == 400) {
      EXPECT_NE(Message(response).find(c.message), std::string::npos)
          << c.body << "\n" << Message(response);
    }
  }
  EXPECT_TRUE(BodyOf(Call("GET", "/api/v1/projects/shop", user_token_))["previews"].is_null());
  // Settings are the owners'.
  std::string bob = MakeUser("bob", store::Role::kUser);
  MUST(project_store_.AddMember(shop_.id, MUST(users_.FindByName("bob")).id,
                                store::MemberRole::kMember));
  EXPECT_EQ(Call("PATCH", "/api/v1/projects/shop", bob,
                 R"({"previews": {"pattern": "feature/*", "stage": "staging"}})")
                .status,
            403);
}

TEST_F(PreviewRoutesTest, APreviewShowsItsBranchAndExpiry) {
  ASSERT_EQ(Patch(R"({"previews": {"pattern": "feature/*", "stage": "staging",
                                   "expire_after": "1h"}})")
                .status,
            200);
  gt::Git(source_, {"checkout", "-q", "-b", "feature/x"});
  gt::WriteFile(source_, "web/app.txt", "x\n");
  gt::CommitAll(source_, "x", 1'700'000'100);
  MUST(projects_.Refresh(shop_));
  MUST(previews_.OnPush(shop_, std::nullopt));

  Json listed = BodyOf(Call("GET", "/api/v1/projects/shop/deployments", user_token_));
  ASSERT_EQ(listed["deployments"].size(), 1u) << listed.dump(2);
  Json preview = listed["deployments"][0];
  EXPECT_EQ(preview["name"], "preview-feature-x");
  EXPECT_EQ(preview["branch"], "feature/x");
  EXPECT_EQ(preview["preview"]["branch"], "feature/x");
  EXPECT_EQ(preview["preview"]["expires_at"], FormatTimestamp(clock_.NowUnix() + 3600));

  MUST(deployment_service_.Create(shop_, {.name = "prod", .stage = "production"}, alice_));
  Json prod = BodyOf(Call("GET", "/api/v1/projects/shop/deployments/prod", user_token_));
  EXPECT_TRUE(prod.contains("preview"));
  EXPECT_TRUE(prod["preview"].is_null());
}

}  // namespace
}  // namespace yard::api
