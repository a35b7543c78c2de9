#include "auth/password.h"

#include <gtest/gtest.h>

namespace yard::auth {
namespace {

// A low cost keeps the tests fast; verification reads the cost from the string.
constexpr ScryptParams kCheap{.log_n = 4, .r = 8, .p = 1};

TEST(PasswordTest, HashesVerifyOnlyTheirPassword) {
  std::string hash = MUST(HashPassword("correct horse", kCheap));
  EXPECT_TRUE(hash.starts_with("$scrypt$ln=4,r=8,p=1$")) << hash;
  EXPECT_TRUE(MUST(VerifyPassword("correct horse", hash)));
  EXPECT_FALSE(MUST(VerifyPassword("correct horsE", hash)));
  EXPECT_FALSE(MUST(VerifyPassword("", hash)));
  EXPECT_FALSE(MUST(VerifyPassword(std::string(2000, 'x'), hash)));
  // A fresh salt every time.
  EXPECT_NE(MUST(HashPassword("correct horse", kCheap)), hash);
}

TEST(PasswordTest, TheStringHasASixteenByteSaltAndAThirtyTwoByteHash) {
  std::string hash = MUST(HashPassword("password1", kCheap));
  size_t salt_start = hash.find('$', 1);
  salt_start = hash.find('$', salt_start + 1) + 1;
  size_t hash_start = hash.find('$', salt_start) + 1;
  EXPECT_EQ(hash_start - salt_start - 1, 22u);  // 16 bytes, base64 without padding
  EXPECT_EQ(hash.size() - hash_start, 43u);     // 32 bytes
  EXPECT_EQ(hash.find('=', hash.find("p=") + 2), std::string::npos);  // no padding
}

TEST(PasswordTest, TheDefaultCostIsTheDocumentedOne) {
  std::string hash = MUST(HashPassword("password1"));
  EXPECT_TRUE(hash.starts_with("$scrypt$ln=15,r=8,p=1$")) << hash;
  EXPECT_TRUE(MUST(VerifyPassword("password1", hash)));
}

TEST(PasswordTest, KnownAnswer) {
  // RFC 7914's third test vector: "pleaseletmein", salt "SodiumChloride", N=16384, r=8, p=1.
  const std::string stored =
      "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/"
      "2o+7qQT44+qbVD9lRdofLVQylVYT8P"
      "z2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw";
  EXPECT_TRUE(MUST(VerifyPassword("pleaseletmein", stored)));
  EXPECT_FALSE(MUST(VerifyPassword("pleaseletmeout", stored)));
}

TEST(PasswordTest, ChecksLengthInCharactersAndBytes) {
  EXPECT_TRUE(ValidatePassword("12345678"));
  EXPECT_EQ(ValidatePassword("1234567").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidatePassword("").error().code, ErrorCode::kInvalidArgument);
  // Eight characters of two bytes each count as eight, seven do not.
  EXPECT_TRUE(ValidatePassword("éééééééé"));
  EXPECT_FALSE(ValidatePassword("ééééééé"));
  EXPECT_TRUE(ValidatePassword(std::string(1024, 'a')));
  auto too_long = ValidatePassword(std::string(1025, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("1024"), std::string::npos);
  EXPECT_FALSE(HashPassword("short", kCheap));
}

TEST(PasswordTest, RejectsMalformedStrings) {
  std::string good = MUST(HashPassword("password1", kCheap));
  std::string salt_and_hash = good.substr(good.find("$", 9));  // "$salt$hash"
  for (const std::string& bad : {
           std::string(),
           std::string("plain"),
           std::string("$scrypt$"),
           "$bcrypt$ln=4,r=8,p=1" + salt_and_hash,
           "$scrypt$ln=4,r=8" + salt_and_hash,
           "$scrypt$r=8,ln=4,p=1" + salt_and_hash,
           "$scrypt$ln=4,r=8,p=1,x=2" + salt_and_hash,
           "$scrypt$ln=x,r=8,p=1" + salt_and_hash,
           "$scrypt$ln=0,r=8,p=1" + salt_and_hash,
           "$scrypt$ln=40,r=8,p=1" + salt_and_hash,
           "$scrypt$ln=20,r=32,p=1" + salt_and_hash,  // 4 GiB
           "$scrypt$ln=4,r=8,p=0" + salt_and_hash,
           "scrypt$ln=4,r=8,p=1" + salt_and_hash,
           good + "$",
           good + "=",
           good + "!",
           "$scrypt$ln=4,r=8,p=1$$" + good.substr(good.rfind('$') + 1),
           "$scrypt$ln=4,r=8,p=1$c2FsdA$" + good.substr(good.rfind('$') + 1),  // 4-byte salt
           good.substr(0, good.rfind('$') + 1) + "c2hvcnQ",                    // 5-byte hash
       }) {
    auto verified = VerifyPassword("password1", bad);
    ASSERT_FALSE(verified) << bad;
    EXPECT_EQ(verified.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace yard::auth
