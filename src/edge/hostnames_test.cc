#include "edge/hostnames.h"

#include <gtest/gtest.h>

#include <set>

#include "base/names.h"

namespace yard::edge {
namespace {

bool DnsSafe(const std::string& label) {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  // "ab--…" is reserved for IDNA (RFC 5891): never produce a double dash at 3-4.
  return !(label.size() >= 4 && label[2] == '-' && label[3] == '-');
}

TEST(EndpointLabelTest, PlainNamesReadAsTheyAre) {
  EXPECT_EQ(EndpointLabel("app", "dev", "shop"), "app-dev-shop");
  EXPECT_EQ(EndpointHost("app", "dev", "shop", "localhost"), "app-dev-shop.localhost");
}

TEST(EndpointLabelTest, DashedNamesNeverMeet) {
  std::string a = EndpointLabel("a", "b-c", "d");
  std::string b = EndpointLabel("a-b", "c", "d");
  std::string c = EndpointLabel("a", "b", "c-d");
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
  EXPECT_NE(a, EndpointLabel("a", "b", "c"));
  EXPECT_TRUE(a.starts_with("a-b-c-d-")) << a;
  EXPECT_TRUE(DnsSafe(a)) << a;
}

TEST(EndpointLabelTest, DoubleDashesAreFolded) {
  std::string label = EndpointLabel("ab--c", "dev", "shop");
  EXPECT_TRUE(DnsSafe(label)) << label;
  EXPECT_NE(label, EndpointLabel("ab-c", "dev", "shop"));
}

TEST(EndpointLabelTest, LongNamesFitOneLabel) {
  std::string forty(40, 'x');
  std::string label = EndpointLabel("app", forty, std::string(40, 'y'));
  EXPECT_LE(label.size(), kMaxLabel);
  EXPECT_TRUE(DnsSafe(label)) << label;
  EXPECT_TRUE(label.starts_with("app-")) << "short names stay whole: " << label;
  // Different long names that share a prefix still differ.
  EXPECT_NE(label, EndpointLabel("app", forty, std::string(39, 'y') + "z"));
}

TEST(EndpointLabelTest, StableAndDistinctOverManyNames) {
  const char* names[] = {"a", "b", "a-b", "b-a", "app", "dev", "shop", "my-app", "a-b-c",
                         "web", "x1", "x-1"};
  std::set<std::string> seen;
  int count = 0;
  for (const char* endpoint : names) {
    for (const char* deployment : names) {
      for (const char* project : names) {
        std::string label = EndpointLabel(endpoint, deployment, project);
        EXPECT_TRUE(DnsSafe(label)) << label;
        EXPECT_EQ(label, EndpointLabel(endpoint, deployment, project));
        seen.insert(label);
        ++count;
      }
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(count)) << "two endpoints share a hostname";
}

TEST(EndpointLabelTest, EveryValidNameShapeGivesASafeLabel) {
  std::string longest(kMaxNameLength, 'a');
  longest[kMaxNameLength - 2] = '-';  // ends "-a": valid, and cut right at the dash
  for (size_t cut = 1; cut <= kMaxNameLength; ++cut) {
    std::string name = longest.substr(0, cut);
    if (name.back() == '-') continue;
    ASSERT_TRUE(ValidateName(name, "test")) << name;
    EXPECT_TRUE(DnsSafe(EndpointLabel(name, longest, longest))) << name;
    EXPECT_TRUE(DnsSafe(EndpointLabel(longest, name, "p"))) << name;
  }
}

}  // namespace
}  // namespace yard::edge
