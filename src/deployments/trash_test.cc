// Restoring and purging deleted deployments, with the controller's part of a delete done by
// hand (record the entry, move the volumes, remove the row) and a fake clock.

#include "deployments/trash.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/fs.h"
#include "deployments/trash_test_fixture.h"

namespace yard::deployments {
namespace {

using testing_fixture::TrashFixture;

class TrashTest : public TrashFixture {
 protected:
  // What the controller does on delete (controller/reconciler_services.cc).
  store::TrashEntry Delete(const store::Deployment& d) {
    store::TrashSnapshot snapshot = MUST(store::SnapshotOf(deployment_store_, &domain_store_, d));
    std::string path = fmt::format("{}/{}-{}-{}-{}", trash_dir_, d.project, d.name, d.id,
                                   clock_.NowUnix());
    store::TrashEntry entry = MUST(trash_store_.Add({.project_id = d.project_id,
                                                     .name = d.name,
                                                     .stage = d.stage,
                                                     .deployment_id = d.id,
                                                     .path = path,
                                                     .snapshot = store::WriteSnapshot(snapshot),
                                                     .purge_at = clock_.NowUnix() + 3600}));
    std::string dir = naming_.DeploymentDir(d.project, d.name);
    if (fs::Exists(dir)) {
      MUST(fs::CreateDirectories(trash_dir_));
      std::filesystem::rename(dir, path);
    }
    MUST(deployment_store_.Delete(d.id));
    return entry;
  }

  void WriteData(const std::string& deployment, const std::string& text) {
    std::string dir = naming_.StorageDir("shop", deployment, "db", "data");
    MUST(fs::CreateDirectories(dir));
    MUST(fs::AtomicWriteFile(dir + "/rows", text));
  }
  std::string ReadData(const std::string& deployment) {
    return MUST(fs::ReadFile(naming_.StorageDir("shop", deployment, "db", "data") + "/rows"));
  }

  std::string trash_dir_ = dir_.File("trash");
  controller::Naming naming_{.installation = "0123456789ab", .volumes_dir = dir_.File("volumes")};
  Trash trash_{{*db_, trash_store_, deployment_store_, &domain_store_},
               service_,
               &auto_stop_,
               clock_,
               {.trash_dir = trash_dir_,
                .naming = naming_,
                .retention = std::chrono::hours(1),
                .forget = [this](int64_t id) { forgotten_.push_back(id); }}};
  std::vector<int64_t> forgotten_;  // deployments whose logs were to be removed
};

TEST_F(TrashTest, RestoreBringsBackTheRowValuesDomainsAndData) {
  store::Deployment d = Make("prod", "production");
  MUST(deployment_store_.AddValues(d.id, {{"db_password", "s3cret"}}));
  MUST(domain_store_.Add(d.id, "app", "www.shop.example"));
  WriteData("prod", "42 rows");
  store::TrashEntry entry = Delete(MUST(deployment_store_.Find(d.id)));
  EXPECT_FALSE(fs::Exists(naming_.DeploymentDir("shop", "prod")));

  EXPECT_EQ(MUST(trash_.Find(project_, "prod")).id, entry.id);
  EXPECT_EQ(MUST(trash_.Find(project_, std::to_string(entry.id))).id, entry.id);
  EXPECT_EQ(trash_.Find(project_, "nope").error().message,
            fmt::format("project 'shop' has no deployment 'nope' in the trash; it holds: {} "
                        "(prod)",
                        entry.id));

  RestoreOutcome outcome = MUST(trash_.Restore(project_, "prod", "", alice_));
  const store::Deployment& restored = outcome.deployment;
  EXPECT_EQ(restored.id, d.id) << "its own id again: its logs and events are found by it";
  EXPECT_EQ(restored.name, "prod");
  EXPECT_EQ(restored.stage, "production");
  EXPECT_EQ(restored.params, d.params);
  EXPECT_EQ(restored.target_commit, commit_);
  EXPECT_EQ(restored.desired, store::Desired::kRunning);
  EXPECT_TRUE(outcome.data);
  EXPECT_EQ(outcome.domains, std::vector<std::string>{"www.shop.example"});
  EXPECT_TRUE(outcome.notes.empty());
  EXPECT_EQ(MUST(deployment_store_.Values(restored.id)).at("db_password"), "s3cret");
  EXPECT_EQ(MUST(domain_store_.FindByHostname("www.shop.example")).deployment_id, restored.id);
  EXPECT_EQ(ReadData("prod"), "42 rows");
  EXPECT_FALSE(fs::Exists(entry.path));
  EXPECT_TRUE(MUST(trash_.List(project_)).empty());
}

TEST_F(TrashTest, RestoreRefusesATakenNameAndTakesAnother) {
  store::Deployment d = Make("prod", "production");
  MUST(domain_store_.Add(d.id, "app", "www.shop.example"));
  WriteData("prod", "old");
  store::TrashEntry entry = Delete(MUST(deployment_store_.Find(d.id)));
  clock_.Advance(std::chrono::seconds(1));
  store::Deployment again = Make("prod", "production");  // gets another id
  MUST(domain_store_.Add(again.id, "app", "www.shop.example"));

  auto taken = trash_.Restore(project_, "prod", "", alice_);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(taken.error().message,
            "project 'shop' already has a deployment 'prod'; restore this one under another "
            "name (\"name\")");
  EXPECT_TRUE(fs::Exists(entry.path)) << "nothing changed";
  EXPECT_EQ(trash_.Restore(project_, "prod", "Bad Name", alice_).error().code,
            ErrorCode::kInvalidArgument);

  RestoreOutcome outcome = MUST(trash_.Restore(project_, "prod", "prod-old", alice_));
  EXPECT_EQ(outcome.deployment.name, "prod-old");
  EXPECT_EQ(ReadData("prod-old"), "old");
  EXPECT_TRUE(outcome.domains.empty());
  ASSERT_EQ(outcome.notes.size(), 1u);
  EXPECT_TRUE(outcome.notes[0].starts_with("domain www.shop.example was not restored: ")) <<
      outcome.notes[0];
}

TEST_F(TrashTest, RestoreWaitsForTheDeleteToFinishAndRefusesADirectoryInTheWay) {
  store::Deployment d = Make("prod", "production");
  WriteData("prod", "x");
  // Deleted, recorded, not yet moved: the controller is still at it.
  MUST(deployment_store_.SetDesired(d.id, store::Desired::kDeleted));
  MUST(trash_store_.Add({.project_id = d.project_id,
                         .name = "prod",
                         .stage = "production",
                         .deployment_id = d.id,
                         .path = trash_dir_ + "/planned",
                         .snapshot = store::WriteSnapshot({.deployment = d}),
                         .purge_at = clock_.NowUnix() + 60}));
  auto busy = trash_.Restore(project_, "prod", "other", alice_);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(trash_.Purge(MUST(trash_.Find(project_, "prod")), &alice_).error().code,
            ErrorCode::kFailedPrecondition);

  MUST(trash_store_.Remove(MUST(trash_.Find(project_, "prod")).id));
  store::TrashEntry entry = Delete(d);
  WriteData("prod", "someone else's");
  auto in_the_way = trash_.Restore(project_, "prod", "", alice_);
  ASSERT_FALSE(in_the_way);
  EXPECT_EQ(in_the_way.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(fs::Exists(entry.path));
  EXPECT_EQ(deployment_store_.FindByName(project_.id, "prod").error().code, ErrorCode::kNotFound)
      << "nothing half-restored";
}

TEST_F(TrashTest, AnEntryWithoutVolumesRestoresTheConfigurationAndSaysSo) {
  store::TrashEntry entry = Delete(Make("dev", "development"));
  EXPECT_FALSE(fs::Exists(entry.path));
  RestoreOutcome outcome = MUST(trash_.Restore(project_, std::to_string(entry.id), "", alice_));
  EXPECT_FALSE(outcome.data);
  ASSERT_EQ(outcome.notes.size(), 1u);
  EXPECT_EQ(outcome.notes[0], "no volumes were kept for it: it starts with empty storage");
  EXPECT_EQ(outcome.deployment.stop_at, clock_.NowUnix() + 12 * 3600)
      << "a development deployment stops by itself";
}

TEST_F(TrashTest, SweepPurgesDueEntriesAndOldUntrackedDirectories) {
  WriteData("a", "a");
  store::TrashEntry a = Delete(Make("a", "production"));
  clock_.Advance(std::chrono::minutes(30));
  WriteData("b", "b");
  store::TrashEntry b = Delete(Make("b", "production"));
  // From before entries were recorded: the time is in the name.
  std::string old_untracked = fmt::format("{}/shop-c-9-{}", trash_dir_, clock_.NowUnix() - 7200);
  std::string new_untracked = fmt::format("{}/shop-d-10-{}", trash_dir_, clock_.NowUnix());
  std::string unnamed = trash_dir_ + "/kept-by-hand";
  for (const std::string& path : {old_untracked, new_untracked, unnamed}) {
    MUST(fs::CreateDirectories(path));
  }

  MUST(trash_.Sweep());
  EXPECT_TRUE(fs::Exists(a.path));
  EXPECT_FALSE(fs::Exists(old_untracked));
  EXPECT_TRUE(fs::Exists(new_untracked));
  EXPECT_TRUE(fs::Exists(unnamed));

  clock_.Advance(std::chrono::minutes(30));
  MUST(trash_.Sweep());
  EXPECT_FALSE(fs::Exists(a.path));
  EXPECT_EQ(trash_store_.Find(a.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(forgotten_, std::vector<int64_t>{a.deployment_id});
  EXPECT_TRUE(fs::Exists(b.path));

  clock_.Advance(std::chrono::minutes(30));
  MUST(trash_.Sweep());
  EXPECT_FALSE(fs::Exists(b.path));
  EXPECT_FALSE(fs::Exists(new_untracked));
  EXPECT_TRUE(fs::Exists(unnamed));
  EXPECT_TRUE(MUST(trash_.List(project_)).empty());
}

TEST_F(TrashTest, PurgeNeverLeavesTheTrash) {
  WriteData("a", "a");
  store::TrashEntry entry = Delete(Make("a", "production"));
  std::string outside = dir_.File("precious");
  MUST(fs::CreateDirectories(outside));
  entry.path = outside;  // a damaged row
  auto refused = trash_.Purge(entry, &alice_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(fs::Exists(outside));
  EXPECT_TRUE(MUST(trash_store_.Find(entry.id)).id == entry.id);
}

}  // namespace
}  // namespace yard::deployments
