#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace yard {
namespace {

Result<int> Parse(bool ok) {
  if (!ok) return Unexpected(ErrorCode::kInvalidArgument, "bad input");
  return 42;
}

Result<int> Doubled(bool ok) {
  int value = TRY(Parse(ok));
  return value * 2;
}

Status Checked(bool ok) {
  TRY(Parse(ok));
  return Ok();
}

Result<int> WithContext(bool ok) { return TRY_CTX(Parse(ok), "reading config") + 1; }

Result<std::unique_ptr<int>> MoveOnly() { return std::make_unique<int>(7); }

Result<int> UsesMoveOnly() {
  std::unique_ptr<int> pointer = TRY(MoveOnly());
  return *pointer;
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = Parse(true);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 42);
  Result<int> bad = Parse(false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "bad input");
  EXPECT_EQ(bad.value_or(5), 5);
}

TEST(ResultTest, TryPropagatesErrorsAndUnwrapsValues) {
  EXPECT_EQ(*Doubled(true), 84);
  EXPECT_EQ(Doubled(false).error().message, "bad input");
  EXPECT_TRUE(Checked(true));
  EXPECT_FALSE(Checked(false));
  EXPECT_EQ(*UsesMoveOnly(), 7);
}

TEST(ResultTest, TryCtxPrefixesTheMessage) {
  EXPECT_EQ(*WithContext(true), 43);
  Result<int> failed = WithContext(false);
  EXPECT_EQ(failed.error().message, "reading config: bad input");
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidArgument);
}

TEST(ResultTest, MustReturnsTheValue) {
  EXPECT_EQ(MUST(Parse(true)), 42);
  MUST(Checked(true));
}

TEST(ResultDeathTest, MustAbortsOnError) {
  EXPECT_DEATH(MUST(Parse(false)), "bad input");
}

TEST(ResultDeathTest, ReadingTheValueOfAnErrorAborts) {
  Result<int> bad = Parse(false);
  EXPECT_DEATH((void)bad.value(), "");
}

}  // namespace
}  // namespace yard
