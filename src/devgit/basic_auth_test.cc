#include "devgit/basic_auth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace yard::devgit {
namespace {

TEST(BasicAuthTest, RoundTrips) {
  // RFC 7617's own example.
  EXPECT_EQ(BasicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  auto parsed = ParseBasicAuthorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->user, "Aladdin");
  EXPECT_EQ(parsed->password, "open sesame");
  for (std::string password : {"", "a", "ab", "abc", "with:colon"}) {
    auto back = ParseBasicAuthorization(BasicAuthorization("dev.shop", password));
    ASSERT_TRUE(back) << password;
    EXPECT_EQ(back->user, "dev.shop");
    EXPECT_EQ(back->password, password);
  }
  EXPECT_TRUE(ParseBasicAuthorization("basic ZGV2OnNlY3JldA=="));
}

TEST(BasicAuthTest, RefusesWhatIsNotBasic) {
  for (const std::string& header : std::vector<std::string>{"", "Basic", "Basic ", "Bearer abc", "Basic !!!!", "Basic ZGV2", "Basic ZGV2OnNlY3JldA",
        "Basic bm9jb2xvbg==" /* "nocolon" */, "Basic " + std::string(5000, 'A')}) {
    EXPECT_FALSE(ParseBasicAuthorization(header)) << header;
  }
}

}  // namespace
}  // namespace yard::devgit
