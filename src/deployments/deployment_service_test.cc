#include "deployments/deployment_service.h"

#include <gtest/gtest.h>

namespace yard::deployments {
namespace {

TEST(ParseMemoryTest, UnitsAndLimits) {
  EXPECT_EQ(MUST(ParseMemory("512m")), 512LL << 20);
  EXPECT_EQ(MUST(ParseMemory("2g")), 2LL << 30);
  EXPECT_EQ(MUST(ParseMemory("2GiB")), 2LL << 30);
  EXPECT_EQ(MUST(ParseMemory("8192k")), 8LL << 20);
  EXPECT_EQ(MUST(ParseMemory("0")), 0);
  for (const char* bad : {"", "lots", "-1m", "1t", "1.5g", "m", "1m1", "99999999999999g"}) {
    auto parsed = ParseMemory(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_NE(ParseMemory("1m").error().message.find("too small"), std::string::npos);
}

TEST(ParseCpusTest, FractionsAndLimits) {
  EXPECT_EQ(MUST(ParseCpus("0.5")), 500);
  EXPECT_EQ(MUST(ParseCpus("2")), 2000);
  EXPECT_EQ(MUST(ParseCpus("0")), 0);
  for (const char* bad : {"", "half", "-1", "0.001", "1e9", "nan", "inf", "1,5"}) {
    EXPECT_FALSE(ParseCpus(bad)) << bad;
  }
}

}  // namespace
}  // namespace yard::deployments
