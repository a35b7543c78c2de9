#include "webhooks/signature.h"

#include <gtest/gtest.h>

#include <set>

namespace yard::webhooks {
namespace {

TEST(SignatureTest, HmacMatchesPublishedVectors) {
  // GitHub's documentation of X-Hub-Signature-256.
  EXPECT_EQ(HmacSha256Hex("It's a Secret to Everybody", "Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // FIPS 180-2.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SignatureTest, VerifiesHexSignaturesOfEitherCase) {
  std::string good = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  std::string upper = "757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
  std::string key = "It's a Secret to Everybody";
  EXPECT_TRUE(VerifyHmacSha256Hex(key, "Hello, World!", good));
  EXPECT_TRUE(VerifyHmacSha256Hex(key, "Hello, World!", upper));
  EXPECT_FALSE(VerifyHmacSha256Hex(key, "Hello, World?", good));
  EXPECT_FALSE(VerifyHmacSha256Hex("another secret", "Hello, World!", good));
  EXPECT_FALSE(VerifyHmacSha256Hex(key, "Hello, World!", good.substr(0, 63)));
  EXPECT_FALSE(VerifyHmacSha256Hex(key, "Hello, World!", good + "0"));
  EXPECT_FALSE(VerifyHmacSha256Hex(key, "Hello, World!", "sha256=" + good));
  EXPECT_FALSE(VerifyHmacSha256Hex(key, "Hello, World!", ""));
  std::string not_hex = good;
  not_hex[10] = 'g';
  EXPECT_FALSE(VerifyHmacSha256Hex(key, "Hello, World!", not_hex));
}

TEST(SignatureTest, AnEmptyKeyNeverVerifies) {
  EXPECT_FALSE(VerifyHmacSha256Hex("", "body", HmacSha256Hex("", "body")));
}

TEST(SignatureTest, ComparesStringsOfAnyLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret "));
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), "a"));
}

TEST(SignatureTest, SecretsAre32RandomBytesInHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string secret = MUST(GenerateSecret());
    ASSERT_EQ(secret.size(), 64u);
    EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos) << secret;
    EXPECT_TRUE(seen.insert(secret).second);
  }
}

}  // namespace
}  // namespace yard::webhooks
