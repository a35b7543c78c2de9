#include "secrets/secret_box.h"

#include <gtest/gtest.h>

namespace yard::secrets {
namespace {

SecretBox Box(char fill) { return *SecretBox::FromKey(std::string(kKeySize, fill)); }

TEST(SecretBoxTest, SealsAndOpens) {
  SecretBox box = Box('k');
  for (std::string plain : {std::string(), std::string("s3cret"), std::string(100000, 'x'),
                            std::string("bytes\x01\xff\n", 8)}) {
    Result<std::string> sealed = box.Seal(plain);
    ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
    EXPECT_TRUE(IsSealed(*sealed));
    EXPECT_TRUE(sealed->starts_with("enc:v1:"));
    if (plain.size() > 3) {
      EXPECT_EQ(sealed->find(plain), std::string::npos);
    }
    EXPECT_EQ(box.Open(*sealed).value(), plain);
  }
}

TEST(SecretBoxTest, EachSealIsDifferent) {
  SecretBox box = Box('k');
  EXPECT_NE(box.Seal("same").value(), box.Seal("same").value());
}

TEST(SecretBoxTest, PlainTextOpensAsItIs) {
  EXPECT_EQ(Box('k').Open("not sealed").value(), "not sealed");
  EXPECT_FALSE(IsSealed("enc:v2:abc"));
}

TEST(SecretBoxTest, SealOnceLeavesSealedTextAlone) {
  SecretBox box = Box('k');
  std::string sealed = box.Seal("v").value();
  EXPECT_EQ(box.SealOnce(sealed).value(), sealed);
  std::string again = box.SealOnce("v").value();
  EXPECT_TRUE(IsSealed(again));
  EXPECT_EQ(box.Open(again).value(), "v");
}

TEST(SecretBoxTest, DetectsTampering) {
  SecretBox box = Box('k');
  std::string sealed = box.Seal("a secret value").value();
  // Flip one base64 character in each part: nonce, ciphertext, tag.
  for (size_t at : {size_t{8}, sealed.size() / 2, sealed.size() - 3}) {
    std::string changed = sealed;
    changed[at] = changed[at] == 'A' ? 'B' : 'A';
    Result<std::string> opened = box.Open(changed);
    ASSERT_FALSE(opened.has_value()) << at;
    EXPECT_EQ(opened.error().code, ErrorCode::kFailedPrecondition);
  }
  EXPECT_FALSE(box.Open(sealed.substr(0, sealed.size() - 4)).has_value());
  EXPECT_FALSE(box.Open("enc:v1:").has_value());
  EXPECT_FALSE(box.Open("enc:v1:!!!!").has_value());
  EXPECT_FALSE(box.Open("enc:v1:AAAA").has_value());
}

TEST(SecretBoxTest, WrongKeyDoesNotOpen) {
  std::string sealed = Box('k').Seal("a secret value").value();
  Result<std::string> opened = Box('j').Open(sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message.find("secrets.key"), std::string::npos);
}

TEST(SecretBoxTest, KeyMustBe32Bytes) {
  EXPECT_FALSE(SecretBox::FromKey("short").has_value());
  EXPECT_FALSE(SecretBox::FromKey(std::string(33, 'k')).has_value());
}

TEST(SecretBoxTest, OpenAll) {
  SecretBox box = Box('k');
  std::map<std::string, std::string> values = {{"A", "plain"}, {"B", box.Seal("hidden").value()}};
  auto opened = OpenAll(&box, values);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->at("A"), "plain");
  EXPECT_EQ(opened->at("B"), "hidden");
  EXPECT_FALSE(OpenAll(nullptr, values).has_value());
  EXPECT_TRUE(OpenAll(nullptr, {{"A", "plain"}}).has_value());
}

}  // namespace
}  // namespace yard::secrets
