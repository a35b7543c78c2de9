#include "base/names.h"

#include <gtest/gtest.h>

namespace yard {
namespace {

TEST(NamesTest, AcceptsDnsLabelLikeNames) {
  for (const char* name : {"a", "bob", "web-2", "a1", "production"}) {
    EXPECT_TRUE(ValidateName(name, "name")) << name;
  }
  EXPECT_TRUE(ValidateName(std::string(kMaxNameLength, 'a'), "name"));
}

TEST(NamesTest, RejectsEverythingElseWithAReason) {
  struct Case {
    std::string name;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"Bob", "lowercase letter"},
           {"1abc", "lowercase letter"},
           {"-abc", "lowercase letter"},
           {"abc-", "end with"},
           {"a_b", "only lowercase"},
           {"a.b", "only lowercase"},
           {"a b", "only lowercase"},
           {"caf\xc3\xa9", "only lowercase"},
           {std::string("a\0b", 3), "only lowercase"},
           {std::string(kMaxNameLength + 1, 'a'), "longer than"},
       }) {
    Status status = ValidateName(c.name, "user name");
    ASSERT_FALSE(status) << c.name;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find(c.reason), std::string::npos) << status.error().message;
    EXPECT_NE(status.error().message.find("user name"), std::string::npos);
  }
}

}  // namespace
}  // namespace yard
