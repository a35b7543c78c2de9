#include "deployments/sizes.h"

#include <gtest/gtest.h>

namespace yard::deployments {
namespace {

TEST(SizesTest, NamedSizesAndCustomLimits) {
  EXPECT_EQ(MUST(ApplySizeChange({}, {.name = "small"})), (Limits{500, 512LL << 20}));
  EXPECT_EQ(MUST(ApplySizeChange({}, {.name = "medium"})), (Limits{1000, 1LL << 30}));
  EXPECT_EQ(MUST(ApplySizeChange({}, {.name = "large"})), (Limits{2000, 4LL << 30}));
  EXPECT_EQ(MUST(ApplySizeChange({1000, 1LL << 30}, {.name = "unlimited"})), (Limits{0, 0}));
  // What is not given stays; a limit given wins over the named size's.
  EXPECT_EQ(MUST(ApplySizeChange({1000, 1LL << 30}, {.memory = "2g"})), (Limits{1000, 2LL << 30}));
  EXPECT_EQ(MUST(ApplySizeChange({}, {.name = "large", .cpus = "1.5"})),
            (Limits{1500, 4LL << 30}));
  EXPECT_EQ(SizeName({1000, 1LL << 30}), "medium");
  EXPECT_EQ(SizeName({1500, 1LL << 30}), "custom");
  EXPECT_EQ(SizeName({}), "unlimited");
}

TEST(SizesTest, BadSizesSayWhatIsAllowed) {
  auto unknown = ApplySizeChange({}, {.name = "huge"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("medium (1 CPU · 1 GiB)"), std::string::npos)
      << unknown.error().message;
  EXPECT_FALSE(ApplySizeChange({}, {.cpus = "lots"}));
  EXPECT_FALSE(ApplySizeChange({}, {.memory = "1m"}));
}

TEST(SizesTest, Descriptions) {
  EXPECT_EQ(DescribeLimits({}), "unlimited");
  EXPECT_EQ(DescribeLimits({500, 512LL << 20}), "0.5 CPU · 512 MiB");
  EXPECT_EQ(DescribeLimits({2000, 0}), "2 CPUs · unlimited memory");
  EXPECT_EQ(DescribeLimits({0, 3LL << 30}), "unlimited CPU · 3 GiB");
}

}  // namespace
}  // namespace yard::deployments
