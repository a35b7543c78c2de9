#include "store/projects.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class ProjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    bob_ = MUST(users_.Create("bob", Role::kUser));
  }
  Project MakeProject(const std::string& name, int64_t owner) {
    return Project{.name = name,
                   .source_kind = SourceKind::kRemote,
                   .source_url = "https://example.invalid/" + name + ".git",
                   .repo_path = "/data/repos/" + name + ".git",
                   .created_by = owner};
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  User alice_;
  User bob_;
};

TEST_F(ProjectStoreTest, CreatorBecomesOwner) {
  Project shop = MUST(projects_.Create(MakeProject("shop", alice_.id)));
  EXPECT_GT(shop.id, 0);
  EXPECT_EQ(shop.created_at, clock_.NowUnix());
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, alice_.id)), MemberRole::kOwner);
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, bob_.id)), std::nullopt);
  Project found = MUST(projects_.FindByName("shop"));
  EXPECT_EQ(found.source_kind, SourceKind::kRemote);
  EXPECT_EQ(found.source_url, "https://example.invalid/shop.git");
  EXPECT_EQ(found.refreshed_at, std::nullopt);
}

TEST_F(ProjectStoreTest, NamesAreUnique) {
  MUST(projects_.Create(MakeProject("shop", alice_.id)));
  auto again = projects_.Create(MakeProject("shop", bob_.id));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  // The failed attempt left no membership behind.
  EXPECT_TRUE(MUST(projects_.ListForUser(bob_.id)).empty());
}

TEST_F(ProjectStoreTest, ListsAllOrByMembership) {
  MUST(projects_.Create(MakeProject("zeta", alice_.id)));
  MUST(projects_.Create(MakeProject("alpha", bob_.id)));
  auto all = MUST(projects_.List());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "alpha");
  auto alices = MUST(projects_.ListForUser(alice_.id));
  ASSERT_EQ(alices.size(), 1u);
  EXPECT_EQ(alices[0].name, "zeta");
}

TEST_F(ProjectStoreTest, RecordsRefreshesAndDeletes) {
  Project shop = MUST(projects_.Create(MakeProject("shop", alice_.id)));
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(projects_.RecordRefresh(shop.id, "host unreachable"));
  Project failed = MUST(projects_.FindByName("shop"));
  EXPECT_EQ(failed.refreshed_at, clock_.NowUnix());
  EXPECT_EQ(failed.refresh_error, "host unreachable");
  ASSERT_TRUE(projects_.RecordRefresh(shop.id, ""));
  EXPECT_EQ(MUST(projects_.FindByName("shop")).refresh_error, "");
  ASSERT_TRUE(projects_.Delete(shop.id));
  EXPECT_EQ(projects_.FindByName("shop").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, alice_.id)), std::nullopt);
  EXPECT_EQ(projects_.Delete(shop.id).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace yard::store
