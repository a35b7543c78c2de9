// The account routes, called through the router against an in-memory store.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "http/message.h"

namespace yard::api {
namespace {

// Generated once with ssh-keygen; fingerprints as `ssh-keygen -lf` prints them.
constexpr const char* kEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINktohT/nrvhPhfVJSszC8zFMuX6jzUckE8i+DJRoccN "
    "alice@laptop";
constexpr const char* kEd25519Fingerprint = "SHA256:gn1rg5y6VPXQYSaSQ8gaImiN6t2v4q+zaQGLCJJ0dbM";
constexpr const char* kEcdsa =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMFZSqUMoNhsMZtFuFY0"
    "QnXuihXhRO6bFuYGiq0LI/RaFDrGwI0vVkSkM3O+3Su2eb3LHorhXHgY6qOduKt+ARk=";
constexpr const char* kEcdsaFingerprint = "SHA256:UvAZ24TmqLErHwl/1P2vteC1h3VKcWVWRSUDhRAJTEc";

using RoutesTest = ApiFixture;

TEST_F(RoutesTest, HealthAndVersion) {
  auto health = Call("GET", "/healthz", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(BodyOf(health)["status"], "ok");
  auto version = Call("GET", "/api/v1/version", user_token_);
  EXPECT_EQ(version.status, 200);
  EXPECT_EQ(BodyOf(version)["api"], "v1");
  EXPECT_TRUE(BodyOf(version)["version"].is_string());
}

TEST_F(RoutesTest, MeDescribesTheCaller) {
  Json me = BodyOf(Call("GET", "/api/v1/users/me", user_token_));
  EXPECT_EQ(me["name"], "alice");
  EXPECT_EQ(me["role"], "user");
  EXPECT_TRUE(me["created_at"].is_string());
}

TEST_F(RoutesTest, AdminsCreateUsersWithAFirstToken) {
  auto created = Call("POST", "/api/v1/users", admin_token_, R"({"name": "bob"})");
  ASSERT_EQ(created.status, 201) << created.body;
  Json body = BodyOf(created);
  EXPECT_EQ(body["user"]["name"], "bob");
  EXPECT_EQ(body["user"]["role"], "user");
  std::string bob_token = body["secret"];
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/users/me", bob_token))["name"], "bob");

  auto listed = BodyOf(Call("GET", "/api/v1/users", admin_token_));
  EXPECT_EQ(listed["users"].size(), 3u);

  auto duplicate = Call("POST", "/api/v1/users", admin_token_, R"({"name": "bob"})");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(BodyOf(duplicate)["error"]["code"], "already_exists");
  // The failed creation left no half-made user or token behind.
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/users", admin_token_))["users"].size(), 3u);
}

TEST_F(RoutesTest, UserCreationValidatesInput) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : {Case{R"({})", "'name' is required"},
                        Case{R"({"name": "Bad Name"})", "invalid user name"},
                        Case{R"({"name": 7})", "'name' must be a string"},
                        Case{R"({"name": "carol", "role": "root"})", "unknown role"},
                        Case{R"({"name": "carol", "extra": 1})", "unknown field 'extra'"},
                        Case{R"({"name": )", "malformed JSON"}}) {
    auto response = Call("POST", "/api/v1/users", admin_token_, c.body);
    EXPECT_EQ(response.status, 400) << c.body;
    EXPECT_NE(BodyOf(response)["error"]["message"].get<std::string>().find(c.message),
              std::string::npos)
        << response.body;
  }
}

TEST_F(RoutesTest, OnlyAdminsManageUsers) {
  EXPECT_EQ(Call("GET", "/api/v1/users", user_token_).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/users", user_token_, R"({"name": "mallory"})").status, 403);
  EXPECT_EQ(users_.FindByName("mallory").error().code, ErrorCode::kNotFound);
}

TEST_F(RoutesTest, TokensAreCreatedListedAndRevoked) {
  auto created = Call("POST", "/api/v1/users/me/tokens", user_token_,
                      R"({"name": "ci", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  Json body = BodyOf(created);
  std::string secret = body["secret"];
  EXPECT_TRUE(secret.starts_with(body["token"]["prefix"].get<std::string>()));
  EXPECT_TRUE(body["token"]["expires_at"].is_string());
  EXPECT_FALSE(body["token"].contains("hash"));

  Json listed = BodyOf(Call("GET", "/api/v1/users/me/tokens", secret));
  ASSERT_EQ(listed["tokens"].size(), 2u);
  for (const Json& token : listed["tokens"]) {
    EXPECT_EQ(token["current"], token["name"] == "ci");
    EXPECT_FALSE(token.contains("secret"));
  }

  std::string id = std::to_string(body["token"]["id"].get<int64_t>());
  EXPECT_EQ(Call("DELETE", "/api/v1/users/me/tokens/" + id, admin_token_).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/users/me/tokens/" + id, user_token_).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/users/me", secret).status, 401);
  EXPECT_EQ(Call("DELETE", "/api/v1/users/me/tokens/abc", user_token_).status, 400);
  EXPECT_EQ(Call("DELETE", "/api/v1/users/me/tokens/-1", user_token_).status, 400);
}

TEST_F(RoutesTest, TokenCreationValidatesInput) {
  for (const char* body : {R"({"expires_in_days": 0})", R"({"expires_in_days": 100000})",
                           R"({"expires_in_days": "soon"})", R"({"name": ""})",
                           R"({"name": "tab\there"})", R"({"secret": "mine"})"}) {
    EXPECT_EQ(Call("POST", "/api/v1/users/me/tokens", user_token_, body).status, 400) << body;
  }
  auto unnamed = Call("POST", "/api/v1/users/me/tokens", user_token_, "");
  EXPECT_EQ(unnamed.status, 201);
  EXPECT_FALSE(BodyOf(unnamed)["token"]["name"].get<std::string>().empty());
}

TEST_F(RoutesTest, KeysAreAddedListedAndRemoved) {
  auto added = Call("POST", "/api/v1/users/me/keys", user_token_,
                    Json({{"public_key", kEd25519}}).dump());
  ASSERT_EQ(added.status, 201) << added.body;
  Json key = BodyOf(added)["key"];
  EXPECT_EQ(key["fingerprint"], kEd25519Fingerprint);
  EXPECT_EQ(key["name"], "alice@laptop");
  EXPECT_EQ(key["type"], "ssh-ed25519");
  EXPECT_EQ(key["bits"], 256);

  auto named = Call("POST", "/api/v1/users/me/keys", user_token_,
                    Json({{"public_key", kEcdsa}, {"name", "work"}}).dump());
  ASSERT_EQ(named.status, 201) << named.body;
  EXPECT_EQ(BodyOf(named)["key"]["fingerprint"], kEcdsaFingerprint);

  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/users/me/keys", user_token_))["keys"].size(), 2u);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/users/me/keys", admin_token_))["keys"].size(), 0u);

  auto duplicate = Call("POST", "/api/v1/users/me/keys", admin_token_,
                        Json({{"public_key", kEd25519}}).dump());
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_NE(BodyOf(duplicate)["error"]["message"].get<std::string>().find("another user"),
            std::string::npos);

  std::string by_fingerprint = "/api/v1/users/me/keys/" + http::PercentEncode(kEcdsaFingerprint);
  EXPECT_EQ(Call("DELETE", by_fingerprint, admin_token_).status, 404);
  EXPECT_EQ(Call("DELETE", by_fingerprint, user_token_).status, 204);
  std::string by_id = "/api/v1/users/me/keys/" + std::to_string(key["id"].get<int64_t>());
  EXPECT_EQ(Call("DELETE", by_id, user_token_).status, 204);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/users/me/keys", user_token_))["keys"].size(), 0u);
}

TEST_F(RoutesTest, BadKeysAreRejectedWithTheReason) {
  for (const char* text : {"", "garbage", "ssh-ed25519 AAAA", "-----BEGIN OPENSSH PRIVATE KEY-----"}) {
    auto response = Call("POST", "/api/v1/users/me/keys", user_token_,
                         Json({{"public_key", text}}).dump());
    EXPECT_EQ(response.status, 400) << text;
    EXPECT_FALSE(BodyOf(response)["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(Call("POST", "/api/v1/users/me/keys", user_token_, R"({"public_key": 5})").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/users/me/keys", user_token_, "{}").status, 400);
}

}  // namespace
}  // namespace yard::api
