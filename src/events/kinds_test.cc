// docs/events.md lists every kind the platform records.

#include "events/kinds.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace yard::events {
namespace {

TEST(KindsTest, TheDocsListEveryKind) {
  std::ifstream file(std::string(YARD_SOURCE_DIR) + "/docs/events.md");
  ASSERT_TRUE(file) << "docs/events.md";
  std::stringstream text;
  text << file.rdbuf();
  for (std::string_view kind : AllKinds()) {
    EXPECT_NE(text.str().find("`" + std::string(kind) + "`"), std::string::npos)
        << kind << " is not in docs/events.md";
  }
}

TEST(KindsTest, KindsAreUniqueAndDotted) {
  std::set<std::string_view> seen;
  for (std::string_view kind : AllKinds()) {
    EXPECT_TRUE(seen.insert(kind).second) << kind;
    EXPECT_NE(kind.find('.'), std::string_view::npos) << kind;
  }
}

}  // namespace
}  // namespace yard::events
