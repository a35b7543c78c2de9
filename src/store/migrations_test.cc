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

TEST(MigrationsTest, SshGatewayMigrationKeepsExistingRows) {
  // Migration 5 on a database that already holds a user, a key and a project.
  auto db = MUST(Database::Open(":memory:"));
  ASSERT_TRUE(Migrate(*db, SchemaMigrations().first(4)));
  ASSERT_TRUE(db->Exec(
      "INSERT INTO users (id, name, role, created_at) VALUES (1, 'alice', 'user', 1);"
      "INSERT INTO ssh_keys (user_id, name, key_type, public_key, fingerprint, bits, created_at)"
      " VALUES (1, 'laptop', 'ssh-ed25519', 'AAAA', 'SHA256:x', 256, 1);"
      "INSERT INTO projects (id, name, source_kind, repo_path, created_at, created_by)"
      " VALUES (1, 'shop', 'hosted', '/r/shop.git', 1, 1);"));
  ASSERT_TRUE(Migrate(*db, SchemaMigrations()));
  EXPECT_GE(*SchemaVersion(*db), 5);
  auto lock = db->Lock();
  auto project = MUST(db->Prepare(
      "SELECT protected_branches, deny_force_push, deny_delete FROM projects WHERE id = 1"));
  ASSERT_TRUE(MUST(project.Step()));
  EXPECT_EQ(project.ColumnText(0), "[]");
  EXPECT_EQ(project.ColumnInt(1), 1);
  EXPECT_EQ(project.ColumnInt(2), 1);
  auto key = MUST(db->Prepare("SELECT last_used_at FROM ssh_keys"));
  ASSERT_TRUE(MUST(key.Step()));
  EXPECT_TRUE(key.ColumnIsNull(0));
  EXPECT_TRUE(db->Exec(
      "INSERT INTO push_events (project_id, user_id, ref, new_commit, pushed_at)"
      " VALUES (1, 1, 'refs/heads/main', 'abc', 2)"));
}

}  // namespace
}  // namespace yard::store
