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

TEST_F(ProjectStoreTest, AddsChangesAndRemovesMembers) {
  Project shop = MUST(projects_.Create(MakeProject("shop", alice_.id)));
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_TRUE(MUST(projects_.AddMember(shop.id, bob_.id, MemberRole::kMember)));
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, bob_.id)), MemberRole::kMember);
  EXPECT_EQ(MUST(projects_.ListForUser(bob_.id)).size(), 1u);
  // Again with the same role: nothing changes; with another role: the role changes.
  EXPECT_FALSE(MUST(projects_.AddMember(shop.id, bob_.id, MemberRole::kMember)));
  EXPECT_FALSE(MUST(projects_.AddMember(shop.id, bob_.id, MemberRole::kOwner)));
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, bob_.id)), MemberRole::kOwner);

  auto members = MUST(projects_.ListMembers(shop.id));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].user_name, "alice");
  EXPECT_EQ(members[0].role, MemberRole::kOwner);
  EXPECT_EQ(members[1].user_name, "bob");
  EXPECT_EQ(members[1].added_at, clock_.NowUnix());

  ASSERT_TRUE(projects_.AddMember(shop.id, alice_.id, MemberRole::kMember));
  members = MUST(projects_.ListMembers(shop.id));
  EXPECT_EQ(members[0].user_name, "bob");  // owners first
  ASSERT_TRUE(projects_.RemoveMember(shop.id, alice_.id));
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, alice_.id)), std::nullopt);
  EXPECT_EQ(projects_.RemoveMember(shop.id, alice_.id).error().code, ErrorCode::kNotFound);
}

TEST_F(ProjectStoreTest, NeverLeavesAProjectWithoutAnOwner) {
  Project shop = MUST(projects_.Create(MakeProject("shop", alice_.id)));
  auto removed = projects_.RemoveMember(shop.id, alice_.id);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(removed.error().message.find("last owner"), std::string::npos);
  auto demoted = projects_.AddMember(shop.id, alice_.id, MemberRole::kMember);
  ASSERT_FALSE(demoted);
  EXPECT_EQ(demoted.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(MUST(projects_.RoleOf(shop.id, alice_.id)), MemberRole::kOwner);
  // With a second owner either may go.
  MUST(projects_.AddMember(shop.id, bob_.id, MemberRole::kOwner));
  ASSERT_TRUE(projects_.RemoveMember(shop.id, alice_.id));
  EXPECT_FALSE(projects_.RemoveMember(shop.id, bob_.id));
}

TEST_F(ProjectStoreTest, ParsesMemberRoles) {
  EXPECT_EQ(MUST(ParseMemberRole("owner")), MemberRole::kOwner);
  EXPECT_EQ(MUST(ParseMemberRole("member")), MemberRole::kMember);
  EXPECT_EQ(ParseMemberRole("admin").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ProjectStoreTest, StoresBranchProtection) {
  Project shop = MUST(projects_.Create(MakeProject("shop", alice_.id)));
  // Defaults: nothing protected; once protected, no force-push and no deletion.
  EXPECT_TRUE(shop.protected_branches.empty());
  Project found = MUST(projects_.FindByName("shop"));
  EXPECT_TRUE(found.protected_branches.empty());
  EXPECT_TRUE(found.deny_force_push);
  EXPECT_TRUE(found.deny_delete);

  ASSERT_TRUE(projects_.SetProtection(shop.id, {"main", "release/*"}, false, true));
  found = MUST(projects_.FindByName("shop"));
  EXPECT_EQ(found.protected_branches, (std::vector<std::string>{"main", "release/*"}));
  EXPECT_FALSE(found.deny_force_push);
  EXPECT_TRUE(found.deny_delete);
  EXPECT_EQ(MUST(projects_.List())[0].protected_branches, found.protected_branches);

  ASSERT_TRUE(projects_.SetProtection(shop.id, {}, true, false));
  found = MUST(projects_.FindByName("shop"));
  EXPECT_TRUE(found.protected_branches.empty());
  EXPECT_FALSE(found.deny_delete);
  EXPECT_EQ(projects_.SetProtection(shop.id + 100, {}, true, true).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ProjectStoreTest, PreviewSettingsAreOffUntilSet) {
  Project shop = MUST(projects_.Create(MakeProject("shop", alice_.id)));
  EXPECT_EQ(shop.preview_pattern, "");
  Project read = MUST(projects_.Find(shop.id));
  EXPECT_EQ(read.preview_pattern, "");
  EXPECT_EQ(read.preview_stage, "");
  EXPECT_EQ(read.preview_ttl_seconds, kDefaultPreviewTtlSeconds);

  MUST(projects_.SetPreviews(shop.id, "feature/*", "staging", 3600));
  read = MUST(projects_.FindByName("shop"));
  EXPECT_EQ(read.preview_pattern, "feature/*");
  EXPECT_EQ(read.preview_stage, "staging");
  EXPECT_EQ(read.preview_ttl_seconds, 3600);
  EXPECT_EQ(projects_.SetPreviews(shop.id + 1, "x", "y", 1).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace yard::store
