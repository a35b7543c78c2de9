#include "logs/times.h"

#include <gtest/gtest.h>

namespace yard::logs {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(TimesTest, ParsesEngineTimestamps) {
  EXPECT_EQ(ParseRfc3339Nanos("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Nanos("2026-11-27T14:00:00.123456789Z"),
            1'795'788'000LL * kSecond + 123'456'789);
  EXPECT_EQ(ParseRfc3339Nanos("2026-11-27T14:00:00.5Z"), 1'795'788'000LL * kSecond + 500'000'000);
  EXPECT_EQ(ParseRfc3339Nanos("2026-11-27T16:00:00+02:00"), 1'795'788'000LL * kSecond);
  EXPECT_EQ(ParseRfc3339Nanos("2026-11-27T14:00:00.1234567891Z"),
            1'795'788'000LL * kSecond + 123'456'789);
  for (const char* bad : {"", "2026-11-27", "2026-11-27T14:00:00", "2026-13-01T00:00:00Z",
                          "2026-11-27T14:00:00.Z", "2026-11-27T14:00:00Zjunk", "garbage here",
                          "2026-11-27T14:00:00+2:00"}) {
    EXPECT_FALSE(ParseRfc3339Nanos(bad)) << bad;
  }
}

TEST(TimesTest, FormatsWithNanoseconds) {
  EXPECT_EQ(FormatRfc3339Nanos(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339Nanos(1'795'788'000LL * kSecond + 7), "2026-11-27T14:00:00.000000007Z");
  int64_t now = 1'795'788'123LL * kSecond + 456;
  EXPECT_EQ(ParseRfc3339Nanos(FormatRfc3339Nanos(now)), now);
}

TEST(TimesTest, TimeSpecsForSinceAndUntil) {
  int64_t now = 1'795'788'000LL * kSecond;
  EXPECT_EQ(ParseTimeSpec("10m", now), now - 600 * kSecond);
  EXPECT_EQ(ParseTimeSpec("1h30m", now), now - 5400 * kSecond);
  EXPECT_EQ(ParseTimeSpec("2026-11-27T13:00:00Z", now), now - 3600 * kSecond);
  EXPECT_EQ(ParseTimeSpec("2026-11-27", now), now - 14 * 3600 * kSecond);
  EXPECT_EQ(ParseTimeSpec("1795788000", now), now);
  for (const char* bad : {"", "yesterday", "-5", "10x", "99999999999999999999"}) {
    EXPECT_FALSE(ParseTimeSpec(bad, now)) << bad;
  }
}

}  // namespace
}  // namespace yard::logs
