#include "store/users.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { MUST(Migrate(*db_, SchemaMigrations())); }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
};

TEST_F(UserStoreTest, CreatesAndFindsUsers) {
  User admin = MUST(users_.Create("admin", Role::kAdmin));
  EXPECT_GT(admin.id, 0);
  EXPECT_EQ(admin.created_at, 1'800'000'000);
  User bob = MUST(users_.Create("bob", Role::kUser));
  EXPECT_EQ(MUST(users_.Get(bob.id)).name, "bob");
  EXPECT_EQ(MUST(users_.FindByName("admin")).role, Role::kAdmin);
  EXPECT_EQ(MUST(users_.Count()), 2);
  auto all = MUST(users_.List());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "admin");
  EXPECT_EQ(all[1].name, "bob");
}

TEST_F(UserStoreTest, DuplicateNamesAreRejected) {
  MUST(users_.Create("bob", Role::kUser));
  auto again = users_.Create("bob", Role::kAdmin);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message, "user 'bob' already exists");
}

TEST_F(UserStoreTest, MissingUsersAreNotFound) {
  EXPECT_EQ(users_.Get(99).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(users_.FindByName("nobody").error().code, ErrorCode::kNotFound);
}

TEST(RoleTest, ParsesAndNames) {
  EXPECT_EQ(*ParseRole("admin"), Role::kAdmin);
  EXPECT_EQ(*ParseRole("user"), Role::kUser);
  EXPECT_EQ(ParseRole("root").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
}

}  // namespace
}  // namespace yard::store
