#include "store/preview_branches.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class PreviewBranchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    User alice = MUST(users_.Create("alice", Role::kUser));
    for (const char* name : {"shop", "blog"}) {
      projects_.push_back(MUST(project_store_.Create(
          Project{.name = name,
                  .source_kind = SourceKind::kHosted,
                  .repo_path = std::string("/data/repos/") + name + ".git",
                  .created_by = alice.id})));
    }
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore project_store_{*db_, clock_};
  PreviewBranchStore branches_{*db_};
  std::vector<Project> projects_;
};

TEST_F(PreviewBranchStoreTest, RecordsForgetsAndResetsPerProject) {
  int64_t shop = projects_[0].id;
  int64_t blog = projects_[1].id;
  EXPECT_TRUE(MUST(branches_.Heads(shop)).empty());
  MUST(branches_.Record(shop, "feature/a", "a1"));
  MUST(branches_.Record(shop, "feature/b", "b1"));
  MUST(branches_.Record(blog, "feature/a", "other"));
  MUST(branches_.Record(shop, "feature/a", "a2"));
  using Heads = std::map<std::string, std::string>;
  EXPECT_EQ(MUST(branches_.Heads(shop)), (Heads{{"feature/a", "a2"}, {"feature/b", "b1"}}));

  MUST(branches_.Forget(shop, "feature/b"));
  MUST(branches_.Forget(shop, "never-seen"));
  EXPECT_EQ(MUST(branches_.Heads(shop)), (Heads{{"feature/a", "a2"}}));

  MUST(branches_.Reset(shop, {{"feature/c", "c1"}}));
  EXPECT_EQ(MUST(branches_.Heads(shop)), (Heads{{"feature/c", "c1"}}));
  EXPECT_EQ(MUST(branches_.Heads(blog)), (Heads{{"feature/a", "other"}}));

  // Rows go with their project.
  MUST(project_store_.Delete(shop));
  EXPECT_TRUE(MUST(branches_.Heads(shop)).empty());
}

}  // namespace
}  // namespace yard::store
