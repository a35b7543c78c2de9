#include "ssh/target.h"

#include <gtest/gtest.h>

namespace yard::ssh {
namespace {

using Kind = SshTarget::Kind;

TEST(SshTargetTest, TheThreeForms) {
  EXPECT_EQ(MUST(ParseSshUser("git")), (SshTarget{.kind = Kind::kGit}));
  EXPECT_EQ(MUST(ParseSshUser("dev.shop")),
            (SshTarget{.project = "shop", .deployment = "dev"}));
  EXPECT_EQ(MUST(ParseSshUser("db.pr-7.shop")),
            (SshTarget{.project = "shop", .deployment = "pr-7", .component = "db"}));
}

TEST(SshTargetTest, UserNamesRoundTrip) {
  for (const char* user : {"git", "dev.shop", "web.dev.shop", "db.pr-7.my-shop"}) {
    EXPECT_EQ(SshUser(MUST(ParseSshUser(user))), user);
  }
}

TEST(SshTargetTest, AnythingElseIsRefusedWithTheFormsThatWork) {
  for (const char* user : {"", "root", "shop", "a.b.c.d", ".shop", "dev.", "web..shop",
                           "Dev.shop", "dev.Shop", "web_1.dev.shop", "dev.shop-"}) {
    auto parsed = ParseSshUser(user);
    ASSERT_FALSE(parsed) << user;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.error().message.find("DEPLOYMENT.PROJECT"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(SshTargetTest, HostileNamesAreShownShortAndPrintable) {
  std::string hostile = std::string(5000, 'x') + "\x1b[2J\n.shop";
  auto parsed = ParseSshUser(hostile);
  ASSERT_FALSE(parsed);
  EXPECT_LT(parsed.error().message.size(), 400u);
  EXPECT_EQ(parsed.error().message.find('\x1b'), std::string::npos);
  EXPECT_FALSE(ParseSshUser(std::string("dev\0.shop", 9)));
}

}  // namespace
}  // namespace yard::ssh
