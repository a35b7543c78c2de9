// Webhook deliveries and their management, through the router against an in-memory store. The
// projects are rows only: nothing here fetches, request_refresh is recorded instead.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "api/api_fixture.h"
#include "store/webhooks.h"
#include "webhooks/test_payloads.h"

namespace yard::api {
namespace {

using namespace webhooks::samples;

class WebhookRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    bob_token_ = MakeUser("bob", store::Role::kUser);
    carol_token_ = MakeUser("carol", store::Role::kUser);
    store::User alice = MUST(users_.FindByName("alice"));
    store::User bob = MUST(users_.FindByName("bob"));
    shop_ = MUST(project_store_.Create({.name = "shop",
                                        .source_kind = store::SourceKind::kRemote,
                                        .source_url = "https://github.com/acme/shop.git",
                                        .repo_path = dir_.File("repos/shop.git"),
                                        .created_by = alice.id}));
    MUST(project_store_.AddMember(shop_.id, bob.id, store::MemberRole::kMember));
    hosted_ = MUST(project_store_.Create({.name = "notes",
                                          .source_kind = store::SourceKind::kHosted,
                                          .repo_path = dir_.File("repos/notes.git"),
                                          .created_by = alice.id}));
    services_.request_refresh = [this](int64_t project_id) { refreshed_.push_back(project_id); };
  }

  // Turns the project's webhooks on as its owner would, and returns the secret.
  std::string Enable(const std::string& project = "shop") {
    auto response = Call("POST", "/api/v1/projects/" + project + "/webhook/secret", user_token_);
    EXPECT_EQ(response.status, 200) << response.body;
    return BodyOf(response)["secret"].get<std::string>();
  }

  http::Response Deliver(const webhooks::Headers& headers, const std::string& body,
                         const std::string& project = "shop") {
    http::Request request;
    request.method = "POST";
    request.target = "/api/v1/projects/" + project + "/webhook";
    EXPECT_TRUE(http::ParseTarget(request.target, request.path, request.query));
    request.headers = headers;
    request.body = body;
    return router_.Handle(request);
  }

  static std::string Message(const http::Response& response) {
    return BodyOf(response)["error"]["message"].get<std::string>();
  }

  std::string bob_token_;    // a member of shop, not an owner
  std::string carol_token_;  // not a member
  store::Project shop_;
  store::Project hosted_;
  std::vector<int64_t> refreshed_;
  store::WebhookStore webhook_store_{*db_, clock_};
};

TEST_F(WebhookRoutesTest, OwnersTurnWebhooksOnRotateAndOff) {
  auto shown = Call("GET", "/api/v1/projects/shop/webhook", user_token_);
  ASSERT_EQ(shown.status, 200) << shown.body;
  Json view = BodyOf(shown);
  EXPECT_EQ(view["enabled"], false);
  EXPECT_TRUE(view["secret"].is_null());
  EXPECT_EQ(view["path"], "/api/v1/projects/shop/webhook");
  EXPECT_EQ(view["content_type"], "application/json");
  EXPECT_EQ(view["events"], Json::array({"push"}));
  ASSERT_EQ(view["senders"].size(), 3u);
  EXPECT_EQ(view["senders"][0]["name"], "GitHub");

  auto enabled = Call("POST", "/api/v1/projects/shop/webhook/secret", user_token_);
  ASSERT_EQ(enabled.status, 200) << enabled.body;
  std::string secret = BodyOf(enabled)["secret"].get<std::string>();
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(BodyOf(enabled)["enabled"], true);
  view = BodyOf(Call("GET", "/api/v1/projects/shop/webhook", user_token_));
  EXPECT_EQ(view["enabled"], true);
  EXPECT_EQ(view["secret"], secret);
  // The instructions carry the secret and the path where the sender's form wants them.
  for (const Json& sender : view["senders"]) {
    std::set<std::string> keys;
    for (const Json& field : sender["fields"]) {
      keys.insert(field["key"].get<std::string>());
      if (field["key"] == "secret") {
        EXPECT_EQ(field["value"], secret);
      }
      if (field["key"] == "url") {
        EXPECT_EQ(field["value"], "/api/v1/projects/shop/webhook");
      }
    }
    EXPECT_TRUE(keys.contains("url") && keys.contains("secret") && keys.contains("events"))
        << sender.dump();
  }
  EXPECT_EQ(MUST(webhook_store_.Secret(shop_.id)), secret);

  std::string rotated = Enable();
  EXPECT_NE(rotated, secret);
  EXPECT_EQ(MUST(webhook_store_.Secret(shop_.id)), rotated);

  EXPECT_EQ(Call("DELETE", "/api/v1/projects/shop/webhook/secret", user_token_).status, 204);
  view = BodyOf(Call("GET", "/api/v1/projects/shop/webhook", user_token_));
  EXPECT_EQ(view["enabled"], false);
  EXPECT_TRUE(view["secret"].is_null());
  EXPECT_EQ(MUST(webhook_store_.Secret(shop_.id)), "");
}

TEST_F(WebhookRoutesTest, OnlyOwnersAndAdminsManageWebhooks) {
  std::string secret = Enable();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/projects/shop/webhook"},
           {"POST", "/api/v1/projects/shop/webhook/secret"},
           {"DELETE", "/api/v1/projects/shop/webhook/secret"}}) {
    EXPECT_EQ(Call(method, path, bob_token_).status, 403) << method << " " << path;
    EXPECT_EQ(Call(method, path, carol_token_).status, 404) << method << " " << path;
    EXPECT_EQ(Call(method, path, "").status, 401) << method << " " << path;
  }
  // Nothing changed: the secret is the one the owner made.
  EXPECT_EQ(MUST(webhook_store_.Secret(shop_.id)), secret);
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/webhook", admin_token_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/projects/nothing/webhook", admin_token_).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/projects/shop/webhook/secret", user_token_, R"({"secret": "x"})")
                .status,
            400);
}

TEST_F(WebhookRoutesTest, AGitHubPushIsActedOnOnce) {
  std::string secret = Enable();
  auto response = Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush);
  ASSERT_EQ(response.status, 202) << response.body;
  Json body = BodyOf(response);
  EXPECT_EQ(body["status"], "accepted");
  EXPECT_EQ(body["project"], "shop");
  EXPECT_EQ(body["sender"], "github");
  EXPECT_EQ(body["delivery"], "github:72d3162e-cc78-11e3-81ab-4c9367dc0958");
  EXPECT_EQ(body["ref"], "refs/heads/main");
  EXPECT_EQ(body["before"], kBefore);
  EXPECT_EQ(body["after"], kAfter);
  EXPECT_EQ(body["deleted"], false);
  EXPECT_EQ(refreshed_, std::vector<int64_t>{shop_.id});

  // The same delivery twice more (a retry, a replay): acknowledged, not acted on.
  for (int i = 0; i < 2; ++i) {
    auto replay = Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush);
    ASSERT_EQ(replay.status, 200) << replay.body;
    EXPECT_EQ(BodyOf(replay)["status"], "duplicate");
  }
  EXPECT_EQ(refreshed_, std::vector<int64_t>{shop_.id});

  // A new delivery is a new push.
  auto next = Deliver(GitHubHeaders("push", kGitHubPush, secret, "a9b2c3d4-0000-11e3-81ab-4c93"),
                      kGitHubPush);
  EXPECT_EQ(next.status, 202) << next.body;
  EXPECT_EQ(refreshed_.size(), 2u);
}

TEST_F(WebhookRoutesTest, CopiesArrivingTogetherAreActedOnOnce) {
  // Handlers run on several threads: a sender's retry may overlap the first attempt.
  std::string secret = Enable();
  std::atomic<int> refreshes = 0;
  services_.request_refresh = [&refreshes](int64_t) { ++refreshes; };
  webhooks::Headers headers = GitHubHeaders("push", kGitHubPush, secret);
  std::atomic<int> accepted = 0;
  std::atomic<int> duplicates = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      int status = Deliver(headers, kGitHubPush).status;
      if (status == 202) ++accepted;
      if (status == 200) ++duplicates;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(duplicates, 7);
  EXPECT_EQ(refreshes, 1);
}

TEST_F(WebhookRoutesTest, EverySenderIsAccepted) {
  std::string secret = Enable();
  struct Case {
    const char* sender;
    webhooks::Headers headers;
    const std::string& body;
  };
  std::vector<Case> cases = {
      {"gitlab", GitLabHeaders("Push Hook", secret), kGitLabPush},
      {"gitea", GiteaHeaders("push", kGiteaPush, secret), kGiteaPush},
      {"forgejo", ForgejoHeaders("push", kGiteaPush, secret), kGiteaPush},
  };
  for (const Case& c : cases) {
    auto response = Deliver(c.headers, c.body);
    ASSERT_EQ(response.status, 202) << c.sender << ": " << response.body;
    EXPECT_EQ(BodyOf(response)["sender"], c.sender);
    EXPECT_EQ(BodyOf(response)["after"], kAfter);
    EXPECT_EQ(Deliver(c.headers, c.body).status, 200) << c.sender;
  }
  EXPECT_EQ(refreshed_.size(), 3u);
}

TEST_F(WebhookRoutesTest, BranchDeletionsRefreshToo) {
  std::string secret = Enable();
  auto response = Deliver(GitLabHeaders("Push Hook", secret, ""), kGitLabDelete);
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(BodyOf(response)["deleted"], true);
  EXPECT_EQ(BodyOf(response)["ref"], "refs/heads/feature/tax");
  // Without an id header the body's digest is the id: the same body again is a replay.
  EXPECT_EQ(BodyOf(Deliver(GitLabHeaders("Push Hook", secret, ""), kGitLabDelete))["status"],
            "duplicate");
  EXPECT_EQ(refreshed_.size(), 1u);
}

TEST_F(WebhookRoutesTest, RefusalsLookTheSame) {
  std::string secret = Enable();
  std::string other_secret = MUST(webhooks::GenerateSecret());
  auto reference = Deliver(GitHubHeaders("push", kGitHubPush, other_secret), kGitHubPush);
  ASSERT_EQ(reference.status, 401) << reference.body;
  EXPECT_NE(Message(reference).find("not accepted"), std::string::npos);

  webhooks::Headers unsigned_headers = GitHubHeaders("push", kGitHubPush, secret);
  unsigned_headers.erase("x-hub-signature-256");
  std::vector<std::pair<std::string, http::Response>> refused = {
      {"unknown project", Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush,
                                  "nothing")},
      {"hosted, webhooks off",
       Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush, "notes")},
      {"no signature", Deliver(unsigned_headers, kGitHubPush)},
      {"signature of another body",
       Deliver(GitHubHeaders("push", kGitHubPing, secret), kGitHubPush)},
      {"truncated body",
       Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush.substr(0, 100))},
      {"gitlab token wrong", Deliver(GitLabHeaders("Push Hook", other_secret), kGitLabPush)},
      {"gitea signed with another secret",
       Deliver(GiteaHeaders("push", kGiteaPush, other_secret), kGiteaPush)},
      {"no sender headers", Deliver({{"content-type", "application/json"}}, kGitHubPush)},
      {"an empty secret", Deliver(GitLabHeaders("Push Hook", ""), kGitLabPush)},
  };
  for (const auto& [what, response] : refused) {
    EXPECT_EQ(response.status, 401) << what;
    EXPECT_EQ(response.body, reference.body) << what;
  }

  // After a rotation the old secret is refused; after turning off, every secret is.
  std::string rotated = Enable();
  EXPECT_EQ(Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush).status, 401);
  ASSERT_EQ(Call("DELETE", "/api/v1/projects/shop/webhook/secret", user_token_).status, 204);
  auto off = Deliver(GitHubHeaders("push", kGitHubPush, rotated), kGitHubPush);
  EXPECT_EQ(off.status, 401);
  EXPECT_EQ(off.body, reference.body);
  EXPECT_TRUE(refreshed_.empty());
}

TEST_F(WebhookRoutesTest, OtherEventsAreAcknowledgedAndIgnored) {
  std::string secret = Enable();
  auto ping = Deliver(GitHubHeaders("ping", kGitHubPing, secret), kGitHubPing);
  ASSERT_EQ(ping.status, 200) << ping.body;
  EXPECT_EQ(BodyOf(ping)["status"], "ignored");
  EXPECT_EQ(BodyOf(ping)["event"], "ping");
  auto merge = Deliver(GitLabHeaders("Merge Request Hook", secret), kGitLabMergeRequest);
  ASSERT_EQ(merge.status, 200) << merge.body;
  EXPECT_EQ(BodyOf(merge)["event"], "Merge Request Hook");
  EXPECT_EQ(Deliver(GiteaHeaders("create", "{}", secret), "{}").status, 200);
  // Still signed: an ignored event with a bad signature is refused like any other.
  EXPECT_EQ(Deliver(GitHubHeaders("ping", kGitHubPing, "wrong"), kGitHubPing).status, 401);
  EXPECT_TRUE(refreshed_.empty());
}

TEST_F(WebhookRoutesTest, AMalformedPayloadWithAGoodSignatureIsABadRequest) {
  std::string secret = Enable();
  std::string truncated = kGitHubPush.substr(0, kGitHubPush.size() / 2);
  auto response = Deliver(GitHubHeaders("push", truncated, secret), truncated);
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_NE(Message(response).find("not JSON"), std::string::npos);
  std::string form = "payload=%7B%7D";
  response = Deliver(GitHubHeaders("push", form, secret), form);
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(Message(response).find("application/json"), std::string::npos);
  response = Deliver(GitHubHeaders("push", kGitHubPing, secret), kGitHubPing);
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(refreshed_.empty());
  // A refused payload is not recorded: fixed and sent again under the same id, it counts.
  EXPECT_EQ(Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush).status, 202);
}

TEST_F(WebhookRoutesTest, HostedProjectsHaveNothingToFetch) {
  auto enable = Call("POST", "/api/v1/projects/notes/webhook/secret", user_token_);
  EXPECT_EQ(enable.status, 409);
  EXPECT_NE(Message(enable).find("hosted"), std::string::npos);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects/notes/webhook", user_token_))["enabled"], false);

  // A secret set some other way: the delivery is verified, then told why nothing happens.
  MUST(webhook_store_.SetSecret(hosted_.id, "notes-secret"));
  auto response =
      Deliver(GitHubHeaders("push", kGitHubPush, "notes-secret"), kGitHubPush, "notes");
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_NE(Message(response).find("is hosted"), std::string::npos);
  EXPECT_TRUE(refreshed_.empty());
}

TEST_F(WebhookRoutesTest, TheEndpointNeedsNoTokenButIgnoresOneIfSent) {
  std::string secret = Enable();
  webhooks::Headers headers = GitHubHeaders("push", kGitHubPush, secret);
  headers["authorization"] = "Bearer not-a-token";
  EXPECT_EQ(Deliver(headers, kGitHubPush).status, 202);
  // Other methods on the path still need a token.
  EXPECT_EQ(Call("PUT", "/api/v1/projects/shop/webhook", "").status, 401);
  EXPECT_EQ(Call("PUT", "/api/v1/projects/shop/webhook", user_token_).status, 405);
}

TEST_F(WebhookRoutesTest, WorksWithoutARefresher) {
  services_.request_refresh = nullptr;
  std::string secret = Enable();
  EXPECT_EQ(Deliver(GitHubHeaders("push", kGitHubPush, secret), kGitHubPush).status, 202);
}

}  // namespace
}  // namespace yard::api
