#include "webhooks/delivery.h"

#include <gtest/gtest.h>

#include "webhooks/test_payloads.h"

namespace yard::webhooks {
namespace {

using namespace samples;

constexpr const char* kSecret = "3f1e9c0a57b24d6e8a1f0c2b4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e";

std::string Truncated(const std::string& body) { return body.substr(0, body.size() / 2); }

Delivery Described(const Headers& headers, const std::string& body) {
  auto delivery = Describe(headers, body);
  EXPECT_TRUE(delivery.has_value());
  return delivery.value_or(Delivery{});
}

TEST(DeliveryTest, GitHubPush) {
  Headers headers = GitHubHeaders("push", kGitHubPush, kSecret);
  Delivery delivery = Described(headers, kGitHubPush);
  EXPECT_EQ(delivery.sender, Sender::kGitHub);
  EXPECT_EQ(delivery.event, "push");
  EXPECT_TRUE(delivery.push);
  EXPECT_EQ(delivery.id, "github:72d3162e-cc78-11e3-81ab-4c9367dc0958");
  EXPECT_TRUE(Verify(headers, Sender::kGitHub, kGitHubPush, kSecret));

  EXPECT_FALSE(Verify(headers, Sender::kGitHub, kGitHubPush, "another secret"));
  EXPECT_FALSE(Verify(headers, Sender::kGitHub, Truncated(kGitHubPush), kSecret));
  EXPECT_FALSE(Verify(headers, Sender::kGitHub, kGitHubPush + " ", kSecret));
  EXPECT_FALSE(Verify(headers, Sender::kGitHub, kGitHubPush, ""));

  Headers wrong = headers;
  wrong["x-hub-signature-256"] = "sha256=" + HmacSha256Hex(kSecret, kGitHubPing);
  EXPECT_FALSE(Verify(wrong, Sender::kGitHub, kGitHubPush, kSecret));
  // The hex alone, without GitHub's "sha256=", is not GitHub's header.
  wrong["x-hub-signature-256"] = HmacSha256Hex(kSecret, kGitHubPush);
  EXPECT_FALSE(Verify(wrong, Sender::kGitHub, kGitHubPush, kSecret));
  wrong.erase("x-hub-signature-256");
  EXPECT_FALSE(Verify(wrong, Sender::kGitHub, kGitHubPush, kSecret));
}

TEST(DeliveryTest, GitHubPingIsNotAPush) {
  Headers headers = GitHubHeaders("ping", kGitHubPing, kSecret);
  Delivery delivery = Described(headers, kGitHubPing);
  EXPECT_EQ(delivery.event, "ping");
  EXPECT_FALSE(delivery.push);
  EXPECT_TRUE(Verify(headers, Sender::kGitHub, kGitHubPing, kSecret));
  EXPECT_FALSE(Described(GitHubHeaders("pull_request", "{}", kSecret), "{}").push);
}

TEST(DeliveryTest, GitLabPushWithToken) {
  Headers headers = GitLabHeaders("Push Hook", kSecret);
  Delivery delivery = Described(headers, kGitLabPush);
  EXPECT_EQ(delivery.sender, Sender::kGitLab);
  EXPECT_EQ(delivery.event, "Push Hook");
  EXPECT_TRUE(delivery.push);
  EXPECT_EQ(delivery.id, "gitlab:4c4e1bd8-1f7a-4a2e-9d7c-2b6c1f0e9a11");
  EXPECT_TRUE(Verify(headers, Sender::kGitLab, kGitLabPush, kSecret));
  // The token is not a signature: the body does not enter into it.
  EXPECT_TRUE(Verify(headers, Sender::kGitLab, Truncated(kGitLabPush), kSecret));

  EXPECT_FALSE(Verify(headers, Sender::kGitLab, kGitLabPush, "another secret"));
  EXPECT_FALSE(Verify(GitLabHeaders("Push Hook", std::string(kSecret) + "x"), Sender::kGitLab,
                      kGitLabPush, kSecret));
  EXPECT_FALSE(Verify(GitLabHeaders("Push Hook", ""), Sender::kGitLab, kGitLabPush, kSecret));
  Headers without = headers;
  without.erase("x-gitlab-token");
  EXPECT_FALSE(Verify(without, Sender::kGitLab, kGitLabPush, kSecret));
  // An empty secret is "webhooks off", never a match for an empty token.
  EXPECT_FALSE(Verify(GitLabHeaders("Push Hook", ""), Sender::kGitLab, kGitLabPush, ""));

  EXPECT_TRUE(Described(GitLabHeaders("Tag Push Hook", kSecret), kGitLabPush).push);
  EXPECT_FALSE(Described(GitLabHeaders("Merge Request Hook", kSecret), kGitLabMergeRequest).push);
  EXPECT_FALSE(Described(GitLabHeaders("System Hook", kSecret), kGitLabPush).push);
}

TEST(DeliveryTest, GitLabDeliveryIds) {
  // GitLab 17.4 and later: the idempotency key, which retries keep.
  Headers headers = GitLabHeaders("Push Hook", kSecret);
  headers["idempotency-key"] = "908a6d9e-45fd-46c8-97e6-c4f350f219dd";
  EXPECT_EQ(Described(headers, kGitLabPush).id, "gitlab:908a6d9e-45fd-46c8-97e6-c4f350f219dd");

  // Neither header: a digest of the body, the same for the same body.
  Headers bare = GitLabHeaders("Push Hook", kSecret, "");
  std::string id = Described(bare, kGitLabPush).id;
  EXPECT_EQ(id, "gitlab:sha256:" + Sha256Hex(kGitLabPush));
  EXPECT_EQ(Described(bare, kGitLabPush).id, id);
  EXPECT_NE(Described(bare, kGitLabDelete).id, id);

  // Ids no sender would send are not stored as they are.
  Headers odd = GitLabHeaders("Push Hook", kSecret, std::string(500, 'a'));
  EXPECT_EQ(Described(odd, kGitLabPush).id, id);
  odd = GitLabHeaders("Push Hook", kSecret, "two words");
  EXPECT_EQ(Described(odd, kGitLabPush).id, id);
}

TEST(DeliveryTest, GiteaPush) {
  Headers headers = GiteaHeaders("push", kGiteaPush, kSecret);
  Delivery delivery = Described(headers, kGiteaPush);
  // Gitea also sends GitHub's headers; its own name wins.
  EXPECT_EQ(delivery.sender, Sender::kGitea);
  EXPECT_TRUE(delivery.push);
  EXPECT_EQ(delivery.id, "gitea:f6266f16-1bf3-46a5-9ea4-602e06ead473");
  EXPECT_TRUE(Verify(headers, Sender::kGitea, kGiteaPush, kSecret));
  EXPECT_FALSE(Verify(headers, Sender::kGitea, kGiteaPush, "another secret"));
  EXPECT_FALSE(Verify(headers, Sender::kGitea, Truncated(kGiteaPush), kSecret));
  Headers wrong = headers;
  wrong["x-gitea-signature"] = HmacSha256Hex("another secret", kGiteaPush);
  EXPECT_FALSE(Verify(wrong, Sender::kGitea, kGiteaPush, kSecret));
  wrong.erase("x-gitea-signature");
  EXPECT_FALSE(Verify(wrong, Sender::kGitea, kGiteaPush, kSecret));

  EXPECT_FALSE(Described(GiteaHeaders("create", "{}", kSecret), "{}").push);
  EXPECT_FALSE(Described(GiteaHeaders("pull_request", "{}", kSecret), "{}").push);
}

TEST(DeliveryTest, ForgejoPush) {
  Headers headers = ForgejoHeaders("push", kGiteaPush, kSecret);
  Delivery delivery = Described(headers, kGiteaPush);
  EXPECT_EQ(delivery.sender, Sender::kForgejo);
  EXPECT_TRUE(delivery.push);
  EXPECT_EQ(delivery.id, "forgejo:0b7c3a56-8d5e-4a8c-9d1c-5f0e3e2b7a44");
  EXPECT_TRUE(Verify(headers, Sender::kForgejo, kGiteaPush, kSecret));
  EXPECT_FALSE(Verify(headers, Sender::kForgejo, kGiteaPush, "another secret"));
  EXPECT_FALSE(Verify(headers, Sender::kForgejo, Truncated(kGiteaPush), kSecret));
  // A wrong Forgejo signature is not rescued by a good copy under Gitea's name.
  Headers wrong = headers;
  wrong["x-forgejo-signature"] = HmacSha256Hex("another secret", kGiteaPush);
  ASSERT_EQ(wrong["x-gitea-signature"], HmacSha256Hex(kSecret, kGiteaPush));
  EXPECT_FALSE(Verify(wrong, Sender::kForgejo, kGiteaPush, kSecret));
}

TEST(DeliveryTest, WithoutAnEventHeaderThereIsNoSender) {
  EXPECT_FALSE(Describe({}, kGitHubPush).has_value());
  EXPECT_FALSE(Describe({{"content-type", "application/json"},
                         {"x-hub-signature-256", "sha256=" + HmacSha256Hex(kSecret, kGitHubPush)}},
                        kGitHubPush)
                   .has_value());
  // Gogs is not one of the senders.
  EXPECT_FALSE(Describe({{"x-gogs-event", "push"}, {"x-gogs-delivery", "1"}}, kGiteaPush)
                   .has_value());
}

TEST(DeliveryTest, MissingDeliveryIdsFallBackToTheBody) {
  Headers headers = GitHubHeaders("push", kGitHubPush, kSecret);
  headers.erase("x-github-delivery");
  EXPECT_EQ(Described(headers, kGitHubPush).id, "github:sha256:" + Sha256Hex(kGitHubPush));
}

TEST(DeliveryTest, SenderNames) {
  EXPECT_EQ(SenderName(Sender::kGitHub), "github");
  EXPECT_EQ(SenderName(Sender::kGitLab), "gitlab");
  EXPECT_EQ(SenderName(Sender::kGitea), "gitea");
  EXPECT_EQ(SenderName(Sender::kForgejo), "forgejo");
}

}  // namespace
}  // namespace yard::webhooks
