#include "api/router.h"

#include <gtest/gtest.h>

#include "api/api_fixture.h"

namespace yard::api {
namespace {

class RouterTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    router_.Add("GET", "/api/v1/things/{name}/parts/{part}", Access::kAuthenticated,
                [](const RouteContext& context) -> Result<http::Response> {
                  return JsonResponse(200, {{"name", context.Param("name")},
                                            {"part", context.Param("part")},
                                            {"user", context.principal->user.name}});
                });
    router_.Add("DELETE", "/api/v1/things/{name}/parts/{part}", Access::kAdmin,
                [](const RouteContext&) -> Result<http::Response> {
                  return http::Response{.status = 204};
                });
    router_.Add("GET", "/api/v1/failing", Access::kAuthenticated,
                [](const RouteContext&) -> Result<http::Response> {
                  return Unexpected(ErrorCode::kFailedPrecondition, "not now");
                });
  }
};

TEST_F(RouterTest, MatchesPlaceholdersAndDecodesThem) {
  auto response = Call("GET", "/api/v1/things/a%2Fb/parts/c%20d", user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = BodyOf(response);
  EXPECT_EQ(body["name"], "a/b");
  EXPECT_EQ(body["part"], "c d");
  EXPECT_EQ(body["user"], "alice");
}

TEST_F(RouterTest, UnknownPathsAre404AndOtherMethods405) {
  auto missing = Call("GET", "/api/v1/nothing-here", user_token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(BodyOf(missing)["error"]["code"], "not_found");
  auto wrong = Call("PUT", "/api/v1/things/a/parts/b", user_token_);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(BodyOf(wrong)["error"]["code"], "method_not_allowed");
  bool has_allow = false;
  for (auto& [name, value] : wrong.headers) {
    if (name == "Allow") {
      has_allow = true;
      EXPECT_EQ(value, "GET, DELETE");
    }
  }
  EXPECT_TRUE(has_allow);
  EXPECT_EQ(Call("GET", "/not-api", "").status, 404);
}

TEST_F(RouterTest, ApiPathsNeedCredentialsBeforeAnythingIsRevealed) {
  for (const char* target : {"/api/v1/things/a/parts/b", "/api/v1/nothing-here", "/api/v2/x"}) {
    auto response = Call("GET", target, "");
    EXPECT_EQ(response.status, 401) << target;
    EXPECT_EQ(BodyOf(response)["error"]["code"], "unauthenticated");
  }
  EXPECT_EQ(Call("GET", "/api/v1/things/a/parts/b", "yard_" + std::string(40, 'z')).status, 401);
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
}

TEST_F(RouterTest, AdminRoutesRefuseOtherUsers) {
  EXPECT_EQ(Call("DELETE", "/api/v1/things/a/parts/b", user_token_).status, 403);
  EXPECT_EQ(Call("DELETE", "/api/v1/things/a/parts/b", admin_token_).status, 204);
}

TEST_F(RouterTest, HandlerErrorsBecomeJsonErrors) {
  auto response = Call("GET", "/api/v1/failing", user_token_);
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(BodyOf(response)["error"]["message"], "not now");
}

}  // namespace
}  // namespace yard::api
