#include "auth/token.h"

#include <gtest/gtest.h>

#include <set>

namespace yard::auth {
namespace {

TEST(TokenTest, GeneratesWellFormedDistinctSecrets) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    NewToken token = MUST(GenerateToken());
    EXPECT_TRUE(LooksLikeToken(token.secret)) << token.secret;
    EXPECT_EQ(token.hash, HashToken(token.secret));
    EXPECT_TRUE(token.secret.starts_with(token.prefix));
    EXPECT_EQ(token.prefix.size(), kTokenPrefix.size() + 4);
    EXPECT_TRUE(seen.insert(token.secret).second);
  }
}

TEST(TokenTest, HashIsHexSha256) {
  // sha256("abc"), from FIPS 180-2.
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokenTest, RecognisesOnlyTokenShapedText) {
  std::string good = "yard_" + std::string(40, 'a');
  EXPECT_TRUE(LooksLikeToken(good));
  EXPECT_FALSE(LooksLikeToken(""));
  EXPECT_FALSE(LooksLikeToken("yard_" + std::string(39, 'a')));
  EXPECT_FALSE(LooksLikeToken("yard_" + std::string(41, 'a')));
  EXPECT_FALSE(LooksLikeToken("nope_" + std::string(40, 'a')));
  EXPECT_FALSE(LooksLikeToken("yard_" + std::string(39, 'a') + "-"));
  EXPECT_FALSE(LooksLikeToken("yard_" + std::string(39, 'a') + "\n"));
}

}  // namespace
}  // namespace yard::auth
