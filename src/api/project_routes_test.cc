// Project membership, branch protection and push events, through the router against an
// in-memory store and real (hosted, empty) repositories.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "store/push_events.h"

namespace yard::api {
namespace {

class ProjectRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    bob_token_ = MakeUser("bob", store::Role::kUser);
    auto created = Call("POST", "/api/v1/projects", user_token_, R"({"name": "shop"})");
    ASSERT_EQ(created.status, 201) << created.body;
  }

  http::Response AddMember(const Json& body, const std::string& token = "") {
    return Call("POST", "/api/v1/projects/shop/members", token.empty() ? user_token_ : token,
                body.dump());
  }
  http::Response Patch(const Json& body, const std::string& token = "") {
    return Call("PATCH", "/api/v1/projects/shop", token.empty() ? user_token_ : token, body.dump());
  }
  Json Members() {
    return BodyOf(Call("GET", "/api/v1/projects/shop/members", user_token_))["members"];
  }
  static std::string Message(const http::Response& response) {
    return BodyOf(response)["error"]["message"].get<std::string>();
  }

  std::string bob_token_;
  store::PushEventStore pushes_{*db_, clock_};
};

TEST_F(ProjectRoutesTest, OwnersAddMembersWhoThenSeeTheProject) {
  Json members = Members();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["user"], "alice");
  EXPECT_EQ(members[0]["role"], "owner");
  EXPECT_TRUE(members[0]["added_at"].is_string());

  EXPECT_EQ(Call("GET", "/api/v1/projects/shop", bob_token_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/members", bob_token_).status, 404);
  auto added = AddMember({{"user", "bob"}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(BodyOf(added)["user"], "bob");
  EXPECT_EQ(BodyOf(added)["role"], "member");
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop", bob_token_).status, 200);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects", bob_token_))["projects"].size(), 1u);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects/shop/members", bob_token_))["members"].size(), 2u);

  // A member may not manage members or settings; an owner may.
  EXPECT_EQ(AddMember({{"user", "admin"}}, bob_token_).status, 403);
  EXPECT_EQ(Call("DELETE", "/api/v1/projects/shop/members/alice", bob_token_).status, 403);
  EXPECT_EQ(Patch({{"deny_delete", false}}, bob_token_).status, 403);
  auto promoted = AddMember({{"user", "bob"}, {"role", "owner"}});
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(BodyOf(promoted)["role"], "owner");
  EXPECT_EQ(Patch({{"deny_delete", false}}, bob_token_).status, 200);
}

TEST_F(ProjectRoutesTest, MembershipRequestsAreChecked) {
  auto unknown = AddMember({{"user", "carol"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Message(unknown), "no user named 'carol'");
  EXPECT_EQ(AddMember({{"user", "bob"}, {"role", "admin"}}).status, 400);
  EXPECT_EQ(AddMember({{"user", "bob"}, {"rank", "owner"}}).status, 400);
  EXPECT_EQ(AddMember({{"role", "owner"}}).status, 400);
  EXPECT_EQ(AddMember({{"user", 7}}).status, 400);
  auto outsider = Call("DELETE", "/api/v1/projects/shop/members/bob", user_token_);
  EXPECT_EQ(outsider.status, 404);
  EXPECT_EQ(Message(outsider), "'bob' is not a member of 'shop'");
  EXPECT_EQ(Call("DELETE", "/api/v1/projects/shop/members/nobody", user_token_).status, 404);
  // Outsiders learn nothing about the project.
  EXPECT_EQ(AddMember({{"user", "bob"}}, bob_token_).status, 404);
  EXPECT_EQ(
      Call("POST", "/api/v1/projects/nothing/members", user_token_, R"({"user":"bob"})").status,
      404);
}

TEST_F(ProjectRoutesTest, TheLastOwnerStays) {
  auto removed = Call("DELETE", "/api/v1/projects/shop/members/alice", user_token_);
  EXPECT_EQ(removed.status, 409);
  EXPECT_NE(Message(removed).find("last owner"), std::string::npos) << removed.body;
  auto demoted = AddMember({{"user", "alice"}, {"role", "member"}});
  EXPECT_EQ(demoted.status, 409);
  EXPECT_NE(Message(demoted).find("cannot make 'alice' a member"), std::string::npos);

  // An admin manages any project's members, and a second owner lets the first one go.
  ASSERT_EQ(AddMember({{"user", "bob"}, {"role", "owner"}}, admin_token_).status, 201);
  EXPECT_EQ(Call("DELETE", "/api/v1/projects/shop/members/alice", admin_token_).status, 204);
  Json members = BodyOf(Call("GET", "/api/v1/projects/shop/members", bob_token_))["members"];
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["user"], "bob");
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop", user_token_).status, 404);
}

TEST_F(ProjectRoutesTest, OwnersSetBranchProtection) {
  Json shown = BodyOf(Call("GET", "/api/v1/projects/shop", user_token_));
  EXPECT_EQ(shown["protected_branches"], Json::array());
  EXPECT_EQ(shown["deny_force_push"], true);
  EXPECT_EQ(shown["deny_delete"], true);

  auto patched = Patch({{"protected_branches", {"main", "refs/heads/release/*", "main"}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(BodyOf(patched)["protected_branches"], (Json{"main", "release/*"}));
  EXPECT_EQ(BodyOf(patched)["name"], "shop");
  EXPECT_TRUE(BodyOf(patched)["branches"].is_array());

  // Fields left out keep their values.
  patched = Patch({{"deny_force_push", false}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  shown = BodyOf(Call("GET", "/api/v1/projects/shop", user_token_));
  EXPECT_EQ(shown["protected_branches"], (Json{"main", "release/*"}));
  EXPECT_EQ(shown["deny_force_push"], false);
  EXPECT_EQ(shown["deny_delete"], true);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects", user_token_))["projects"][0]["deny_force_push"],
            false);

  ASSERT_EQ(Patch({{"protected_branches", Json::array()}}).status, 200);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects/shop", user_token_))["protected_branches"],
            Json::array());
}

TEST_F(ProjectRoutesTest, BadProtectionIsRefusedWithTheReason) {
  auto bad = Patch({{"protected_branches", {"main", "has space"}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Message(bad).find("'has space' is not a branch name or pattern"), std::string::npos);
  EXPECT_EQ(Patch({{"protected_branches", "main"}}).status, 400);
  EXPECT_EQ(Patch({{"protected_branches", {1}}}).status, 400);
  EXPECT_EQ(Patch({{"deny_delete", "yes"}}).status, 400);
  EXPECT_EQ(Patch({{"name", "other"}}).status, 400);
  Json many = Json::array();
  for (int i = 0; i < 101; ++i) many.push_back("b" + std::to_string(i));
  EXPECT_EQ(Patch({{"protected_branches", many}}).status, 400);
  // Nothing was changed by the refused requests.
  Json shown = BodyOf(Call("GET", "/api/v1/projects/shop", user_token_));
  EXPECT_EQ(shown["protected_branches"], Json::array());
  EXPECT_EQ(shown["deny_delete"], true);
}

TEST_F(ProjectRoutesTest, ListsPushesNewestFirst) {
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects/shop/pushes", user_token_))["pushes"],
            Json::array());
  store::Project shop = MUST(project_store_.FindByName("shop"));
  store::User alice = MUST(users_.FindByName("alice"));
  std::string a(40, 'a'), b(40, 'b');
  MUST(pushes_.Record(
      {{.project_id = shop.id, .user_id = alice.id, .ref = "refs/heads/main", .new_commit = a}}));
  MUST(pushes_.Record({{.project_id = shop.id,
                        .user_id = alice.id,
                        .ref = "refs/heads/main",
                        .old_commit = a,
                        .new_commit = b,
                        .forced = true}}));

  Json pushes = BodyOf(Call("GET", "/api/v1/projects/shop/pushes", user_token_))["pushes"];
  ASSERT_EQ(pushes.size(), 2u);
  EXPECT_EQ(pushes[0]["old_commit"], a);
  EXPECT_EQ(pushes[0]["new_commit"], b);
  EXPECT_EQ(pushes[0]["forced"], true);
  EXPECT_EQ(pushes[0]["user"], "alice");
  EXPECT_EQ(pushes[0]["ref"], "refs/heads/main");
  EXPECT_TRUE(pushes[0]["pushed_at"].is_string());
  EXPECT_TRUE(pushes[1]["old_commit"].is_null());
  EXPECT_EQ(
      BodyOf(Call("GET", "/api/v1/projects/shop/pushes?limit=1", user_token_))["pushes"].size(),
      1u);
  for (std::string bad : {"0", "-1", "abc", "1001", "2x"}) {
    EXPECT_EQ(Call("GET", "/api/v1/projects/shop/pushes?limit=" + bad, user_token_).status, 400)
        << bad;
  }
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/pushes", bob_token_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/pushes", admin_token_).status, 200);
}

}  // namespace
}  // namespace yard::api
