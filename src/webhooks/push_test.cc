#include "webhooks/push.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "webhooks/test_payloads.h"

namespace yard::webhooks {
namespace {

using namespace samples;

std::string MessageOf(std::string_view body) {
  auto push = ParsePush(body);
  EXPECT_FALSE(push.has_value()) << body;
  return push ? "" : push.error().message;
}

TEST(PushTest, ReadsEachSendersPush) {
  for (const std::string* body : {&kGitHubPush, &kGitLabPush, &kGiteaPush}) {
    Push push = MUST(ParsePush(*body));
    EXPECT_EQ(push.ref, "refs/heads/main");
    EXPECT_EQ(push.Branch(), "main");
    EXPECT_EQ(push.before, kBefore);
    EXPECT_EQ(push.after, kAfter);
    EXPECT_FALSE(push.created);
    EXPECT_FALSE(push.deleted);
  }
}

TEST(PushTest, BranchDeletions) {
  for (const std::string* body : {&kGitHubDelete, &kGitLabDelete, &kGiteaDelete}) {
    Push push = MUST(ParsePush(*body));
    EXPECT_EQ(push.Branch(), "feature/tax");
    EXPECT_EQ(push.before, kBefore);
    EXPECT_EQ(push.after, kZero);
    EXPECT_TRUE(push.deleted);
    EXPECT_FALSE(push.created);
  }
}

TEST(PushTest, CreatedRefsAndTags) {
  Push push = MUST(ParsePush(
      R"({"ref": "refs/tags/v1.2", "before": "0000000000000000000000000000000000000000",
          "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"})"));
  EXPECT_TRUE(push.created);
  EXPECT_FALSE(push.deleted);
  EXPECT_EQ(push.Branch(), "");
  // SHA-256 repositories have 64-digit ids.
  push = MUST(ParsePush(fmt::format(R"({{"ref": "refs/heads/main", "before": "{}", "after": "{}",
                                         "created": true}})",
                                    std::string(64, '1'), std::string(64, '2'))));
  EXPECT_TRUE(push.created);
  EXPECT_EQ(push.after, std::string(64, '2'));
}

TEST(PushTest, RefusesWhatIsNotAPushPayload) {
  EXPECT_NE(MessageOf(kGitHubPush.substr(0, kGitHubPush.size() / 2)).find("not JSON"),
            std::string::npos);
  EXPECT_NE(MessageOf("").find("not JSON"), std::string::npos);
  EXPECT_EQ(MessageOf("[1, 2]"), "the push payload is not a JSON object");
  EXPECT_NE(MessageOf("payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D").find(
                "content type to application/json"),
            std::string::npos);
  EXPECT_NE(MessageOf(kGitHubPing).find("'ref'"), std::string::npos);
  EXPECT_NE(MessageOf(kGitLabMergeRequest).find("'ref'"), std::string::npos);
  EXPECT_NE(MessageOf(R"({"ref": "main", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                          "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"})")
                .find("'ref'"),
            std::string::npos);
  EXPECT_NE(MessageOf(R"({"ref": "refs/heads/a b", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                          "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"})")
                .find("'ref'"),
            std::string::npos);
  EXPECT_EQ(MessageOf(R"({"ref": "refs/heads/main", "before": "6113728f",
                          "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"})"),
            "the push payload's 'before' is not a commit id");
  EXPECT_EQ(MessageOf(R"({"ref": "refs/heads/main", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                          "after": null})"),
            "the push payload's 'after' is not a commit id");
  EXPECT_EQ(MessageOf(R"({"ref": "refs/heads/main", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                          "after": "0D1A26E67D8F5EAF1F6BA5C57FC3C7D91AC0FD1C"})"),
            "the push payload's 'after' is not a commit id");
}

}  // namespace
}  // namespace yard::webhooks
