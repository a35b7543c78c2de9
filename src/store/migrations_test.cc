#include "store/migrations.h"

#include <gtest/gtest.h>

#include <array>

namespace yard::store {
namespace {

constexpr std::array kTwoSteps = {
    Migration{1, "create", "CREATE TABLE a (x INTEGER)"},
    Migration{2, "add column", "ALTER TABLE a ADD COLUMN y TEXT"},
};

TEST(MigrationsTest, AppliesInOrderAndRecordsTheVersion) {
  auto db = MUST(Database::Open(":memory:"));
  ASSERT_TRUE(Migrate(*db, kTwoSteps));
  EXPECT_EQ(*SchemaVersion(*db), 2);
  EXPECT_TRUE(db->Exec("INSERT INTO a (x, y) VALUES (1, 'z')"));
  // Running again changes nothing.
  ASSERT_TRUE(Migrate(*db, kTwoSteps));
  EXPECT_EQ(*SchemaVersion(*db), 2);
}

TEST(MigrationsTest, ContinuesFromAnEarlierVersion) {
  auto db = MUST(Database::Open(":memory:"));
  ASSERT_TRUE(Migrate(*db, std::span(kTwoSteps).first(1)));
  EXPECT_EQ(*SchemaVersion(*db), 1);
  ASSERT_TRUE(Migrate(*db, kTwoSteps));
  EXPECT_EQ(*SchemaVersion(*db), 2);
}

TEST(MigrationsTest, AFailedStepLeavesThePreviousVersionIntact) {
  auto db = MUST(Database::Open(":memory:"));
  constexpr std::array kBroken = {
      Migration{1, "create", "CREATE TABLE a (x INTEGER)"},
      Migration{2, "half", "CREATE TABLE b (x INTEGER); THIS IS NOT SQL"},
  };
  Status status = Migrate(*db, kBroken);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("migration 2 (half)"), std::string::npos);
  EXPECT_EQ(*SchemaVersion(*db), 1);
  // Table b was created inside the failed step and must have been rolled back.
  EXPECT_FALSE(db->Exec("SELECT * FROM b"));
}

TEST(MigrationsTest, RefusesADatabaseFromANewerVersion) {
  auto db = MUST(Database::Open(":memory:"));
  ASSERT_TRUE(Migrate(*db, kTwoSteps));
  Status status = Migrate(*db, std::span(kTwoSteps).first(1));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("newer"), std::string::npos);
}

TEST(MigrationsTest, SchemaMigrationsAreNumberedWithoutGaps) {
  auto migrations = SchemaMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
  }
  auto db = MUST(Database::Open(":memory:"));
  ASSERT_TRUE(Migrate(*db, migrations));
}

}  // namespace
}  // namespace yard::store
