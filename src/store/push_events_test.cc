#include "store/push_events.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class PushEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    shop_ = MUST(projects_.Create(Project{.name = "shop",
                                          .source_kind = SourceKind::kHosted,
                                          .repo_path = "/data/repos/shop.git",
                                          .created_by = alice_.id}));
    other_ = MUST(projects_.Create(Project{.name = "other",
                                           .source_kind = SourceKind::kHosted,
                                           .repo_path = "/data/repos/other.git",
                                           .created_by = alice_.id}));
  }
  PushEvent Event(int64_t project_id, std::string ref, std::string old_commit,
                  std::string new_commit, bool forced = false) {
    return PushEvent{.project_id = project_id,
                     .user_id = alice_.id,
                     .ref = std::move(ref),
                     .old_commit = std::move(old_commit),
                     .new_commit = std::move(new_commit),
                     .forced = forced};
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  PushEventStore pushes_{*db_, clock_};
  User alice_;
  Project shop_;
  Project other_;
};

TEST_F(PushEventStoreTest, RecordsAPushAndListsNewestFirst) {
  auto first = MUST(pushes_.Record({Event(shop_.id, "refs/heads/main", "", "aaa"),
                                    Event(shop_.id, "refs/heads/dev", "", "bbb")}));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_GT(first[0].id, 0);
  EXPECT_EQ(first[0].pushed_at, clock_.NowUnix());
  clock_.Advance(std::chrono::seconds(10));
  MUST(pushes_.Record({Event(shop_.id, "refs/heads/main", "aaa", "ccc", true)}));
  MUST(pushes_.Record({Event(other_.id, "refs/heads/main", "", "ddd")}));

  auto listed = MUST(pushes_.List(shop_.id, 10));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].new_commit, "ccc");
  EXPECT_EQ(listed[0].old_commit, "aaa");
  EXPECT_TRUE(listed[0].forced);
  EXPECT_EQ(listed[0].user_name, "alice");
  EXPECT_EQ(listed[0].pushed_at, clock_.NowUnix());
  EXPECT_EQ(listed[1].ref, "refs/heads/dev");
  EXPECT_FALSE(listed[1].forced);
  EXPECT_EQ(listed[2].ref, "refs/heads/main");
  EXPECT_EQ(MUST(pushes_.List(shop_.id, 1)).size(), 1u);
  EXPECT_EQ(MUST(pushes_.List(other_.id, 10)).size(), 1u);
}

TEST_F(PushEventStoreTest, ABatchIsAllOrNothing) {
  // The second event names a user that does not exist: the first must not stay behind.
  PushEvent bad = Event(shop_.id, "refs/heads/dev", "", "bbb");
  bad.user_id = 999;
  EXPECT_FALSE(pushes_.Record({Event(shop_.id, "refs/heads/main", "", "aaa"), bad}));
  EXPECT_TRUE(MUST(pushes_.List(shop_.id, 10)).empty());
}

TEST_F(PushEventStoreTest, GoWithTheirProject) {
  MUST(pushes_.Record({Event(shop_.id, "refs/heads/main", "", "aaa")}));
  ASSERT_TRUE(projects_.Delete(shop_.id));
  EXPECT_TRUE(MUST(pushes_.List(shop_.id, 10)).empty());
}

}  // namespace
}  // namespace yard::store
