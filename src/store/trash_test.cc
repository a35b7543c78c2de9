#include "store/trash.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class TrashStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    for (const char* name : {"shop", "blog"}) {
      Project project = MUST(projects_.Create(Project{.name = name,
                                                      .source_kind = SourceKind::kHosted,
                                                      .repo_path = "/data/repos/x.git",
                                                      .created_by = alice_.id}));
      (std::string(name) == "shop" ? shop_ : blog_) = project;
    }
  }

  TrashEntry Entry(const Project& project, const std::string& name, int64_t deployment_id,
                   int64_t purge_in) {
    TrashEntry entry;
    entry.project_id = project.id;
    entry.name = name;
    entry.stage = "production";
    entry.deployment_id = deployment_id;
    entry.path = "/data/trash/" + name;
    entry.snapshot = "{}";
    entry.deleted_by = alice_.id;
    entry.purge_at = clock_.NowUnix() + purge_in;
    return entry;
  }

  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  DeploymentStore deployments_{*db_, clock_};
  DomainStore domains_{*db_, clock_};
  TrashStore trash_{*db_, clock_};
  User alice_;
  Project shop_;
  Project blog_;
};

TEST_F(TrashStoreTest, AddsFindsAndLists) {
  TrashEntry first = MUST(trash_.Add(Entry(shop_, "prod", 7, 3600)));
  EXPECT_GT(first.id, 0);
  EXPECT_EQ(first.project, "shop");
  EXPECT_EQ(first.deleted_at, clock_.NowUnix());
  EXPECT_EQ(first.deleted_by_name, "alice");
  clock_.Advance(std::chrono::seconds(10));
  TrashEntry second = MUST(trash_.Add(Entry(shop_, "dev", 8, 3600)));
  MUST(trash_.Add(Entry(blog_, "prod", 9, 3600)));

  std::vector<TrashEntry> listed = MUST(trash_.ListForProject(shop_.id));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, second.id);  // newest first
  EXPECT_EQ(listed[1].id, first.id);
  EXPECT_EQ(MUST(trash_.ListAll()).size(), 3u);
  EXPECT_EQ(MUST(trash_.Find(first.id)).path, "/data/trash/prod");
  Deployment dev{.id = 8, .project_id = shop_.id, .name = "dev"};
  EXPECT_EQ(MUST(trash_.FindByDeployment(dev))->id, second.id);
  dev.name = "other";  // a later deployment that was given the same id
  EXPECT_FALSE(MUST(trash_.FindByDeployment(dev)).has_value());
  dev.id = 99;
  EXPECT_FALSE(MUST(trash_.FindByDeployment(dev)).has_value());
  EXPECT_EQ(trash_.Find(999).error().code, ErrorCode::kNotFound);
}

TEST_F(TrashStoreTest, DueForPurgeAndRemove) {
  TrashEntry soon = MUST(trash_.Add(Entry(shop_, "a", 1, 60)));
  TrashEntry later = MUST(trash_.Add(Entry(shop_, "b", 2, 600)));
  EXPECT_TRUE(MUST(trash_.DueForPurge(clock_.NowUnix())).empty());
  clock_.Advance(std::chrono::seconds(60));
  std::vector<TrashEntry> due = MUST(trash_.DueForPurge(clock_.NowUnix()));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, soon.id);
  MUST(trash_.Remove(soon.id));
  EXPECT_EQ(trash_.Remove(soon.id).error().code, ErrorCode::kNotFound);
  clock_.Advance(std::chrono::seconds(600));
  due = MUST(trash_.DueForPurge(clock_.NowUnix()));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, later.id);
}

TEST_F(TrashStoreTest, EntriesGoWithTheirProject) {
  TrashEntry shop = MUST(trash_.Add(Entry(shop_, "prod", 1, 60)));
  TrashEntry by_platform = Entry(blog_, "prod", 2, 60);
  by_platform.deleted_by = std::nullopt;
  by_platform = MUST(trash_.Add(by_platform));
  EXPECT_EQ(by_platform.deleted_by_name, "");
  MUST(projects_.Delete(shop_.id));
  EXPECT_EQ(trash_.Find(shop.id).error().code, ErrorCode::kNotFound);
  ASSERT_EQ(MUST(trash_.ListAll()).size(), 1u);
  EXPECT_EQ(MUST(trash_.ListAll())[0].project, "blog");
}

TEST_F(TrashStoreTest, SnapshotKeepsWhatRestoringNeeds) {
  Deployment d;
  d.project_id = shop_.id;
  d.name = "prod";
  d.stage = "production";
  d.branch = "main";
  d.params = {{"greeting", "hi"}};
  d.env = {{"DEBUG", "1"}};
  d.cpu_millis = 500;
  d.memory_bytes = 256 << 20;
  d.target_commit = "abc123";
  d.auto_deploy = false;
  d.created_by = alice_.id;
  d.preview_branch = "feature/x";
  d = MUST(deployments_.Create(d));
  MUST(deployments_.AddValues(d.id, {{"db_password", "s3cret"}}));
  MUST(domains_.Add(d.id, "app", "www.shop.example"));
  d = MUST(deployments_.Find(d.id));

  TrashSnapshot snapshot = MUST(SnapshotOf(deployments_, &domains_, d));
  TrashSnapshot read = MUST(ReadSnapshot(WriteSnapshot(snapshot)));
  EXPECT_EQ(read.deployment.name, "prod");
  EXPECT_EQ(read.deployment.stage, "production");
  EXPECT_EQ(read.deployment.branch, "main");
  EXPECT_EQ(read.deployment.params, d.params);
  EXPECT_EQ(read.deployment.env, d.env);
  EXPECT_EQ(read.deployment.cpu_millis, 500);
  EXPECT_EQ(read.deployment.memory_bytes, 256 << 20);
  EXPECT_EQ(read.deployment.target_commit, "abc123");
  EXPECT_FALSE(read.deployment.auto_deploy);
  EXPECT_EQ(read.deployment.preview_branch, "feature/x");
  EXPECT_EQ(read.values.at("db_password"), "s3cret");
  ASSERT_EQ(read.domains.size(), 1u);
  EXPECT_EQ(read.domains[0].first, "app");
  EXPECT_EQ(read.domains[0].second, "www.shop.example");

  EXPECT_EQ(ReadSnapshot("not json").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ReadSnapshot(R"({"deployment": {"stage": "x"}})").error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace yard::store
