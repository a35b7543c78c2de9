#include "events/recorder.h"

#include <gtest/gtest.h>

#include <thread>

#include "events/json.h"
#include "events/kinds.h"
#include "store/deployments.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/push_events.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::events {
namespace {

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    shop_ = MUST(projects_.Create(store::Project{.name = "shop",
                                                 .repo_path = "/data/repos/shop.git",
                                                 .created_by = alice_.id}));
    dev_ = MUST(deployments_.Create(store::Deployment{
        .project_id = shop_.id, .name = "dev", .stage = "development", .branch = "main",
        .created_by = alice_.id}));
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  store::UserStore users_{*db_, clock_};
  store::ProjectStore projects_{*db_, clock_};
  store::DeploymentStore deployments_{*db_, clock_};
  Recorder recorder_{*db_, clock_, {.retention = std::chrono::hours(24)}};
  store::User alice_;
  store::Project shop_;
  store::Deployment dev_;
};

TEST_F(RecorderTest, RecordsWithTheTimeAndNames) {
  Event event = AboutDeployment(dev_, kDeploymentStopped, "stopped");
  event.actor_id = alice_.id;
  recorder_.Record(event);
  recorder_.Record(BuildStarted(store::BuildRecord{.id = 7, .deployment_id = dev_.id,
                                                   .commit = "0123456789abcdef"}));
  auto events = MUST(recorder_.List({}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at_ms, 1'800'000'000'000);
  EXPECT_EQ(events[0].actor, "alice");
  EXPECT_EQ(events[0].kind, "deployment.stopped");
  EXPECT_EQ(events[1].project, "shop");
  EXPECT_EQ(events[1].deployment, "dev");
  EXPECT_EQ(events[1].actor_id, std::nullopt);
  EXPECT_EQ(events[1].message, "build 7 of 0123456789ab started");
  EXPECT_EQ(events[1].data["build"], 7);
  EXPECT_EQ(recorder_.last_id(), events[1].id);
}

TEST_F(RecorderTest, StartsFromTheNewestStoredId) {
  recorder_.Record(AboutProject(shop_, kProjectCreated, "created"));
  Recorder again(*db_, clock_);
  EXPECT_EQ(again.last_id(), recorder_.last_id());
  EXPECT_GT(again.last_id(), 0);
}

TEST_F(RecorderTest, WaitAfterWakesWhenSomethingIsRecorded) {
  int64_t cursor = recorder_.last_id();
  EXPECT_FALSE(recorder_.WaitAfter(cursor, std::chrono::milliseconds(1)));
  std::thread writer([&] { recorder_.Record(AboutInstallation(kTokenCreated, "token ci")); });
  EXPECT_TRUE(recorder_.WaitAfter(cursor, std::chrono::minutes(1)));
  writer.join();
  EXPECT_EQ(MUST(recorder_.List({.after_id = cursor})).size(), 1u);
}

TEST_F(RecorderTest, PruneRemovesWhatIsOlderThanTheRetention) {
  recorder_.Record(AboutProject(shop_, kProjectCreated, "old"));
  clock_.Advance(std::chrono::hours(23));
  recorder_.Record(AboutProject(shop_, kProjectPushed, "recent"));
  clock_.Advance(std::chrono::hours(2));
  MUST(recorder_.Prune());
  auto events = MUST(recorder_.List({}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message, "recent");
}

TEST_F(RecorderTest, AReportThatCannotBeStoredIsLoggedNotThrown) {
  MUST(db_->Exec("DROP TABLE events"));
  recorder_.Record(AboutProject(shop_, kProjectCreated, "lost"));
  EXPECT_FALSE(recorder_.Append(AboutProject(shop_, kProjectCreated, "lost")));
}

TEST_F(RecorderTest, PhaseChangesNameThePhaseInTheirKind) {
  Event event = PhaseChanged(dev_, "starting", "failed", "web exited with code 1");
  EXPECT_EQ(event.kind, "deployment.phase.failed");
  EXPECT_EQ(event.message, "now failed: web exited with code 1");
  EXPECT_EQ(event.data["previous"], "starting");
  EXPECT_EQ(PhaseChanged(dev_, "starting", "running", "").message, "now running");
}

TEST_F(RecorderTest, BuildEndsMapToTheirKinds) {
  store::BuildRecord build{.id = 3, .deployment_id = dev_.id, .commit = "abc"};
  EXPECT_EQ(BuildEnded(build, store::BuildState::kSucceeded, "").kind, "build.succeeded");
  EXPECT_EQ(BuildEnded(build, store::BuildState::kFailed, "x").kind, "build.failed");
  EXPECT_EQ(BuildEnded(build, store::BuildState::kCancelled, "x").kind, "build.cancelled");
  EXPECT_EQ(BuildEnded(build, store::BuildState::kInterrupted, "x").kind, "build.interrupted");
  EXPECT_EQ(BuildEnded(build, store::BuildState::kFailed, "no space").message,
            "build 3 of abc failed: no space");
}

TEST_F(RecorderTest, APushListsTheRefsOfThatPushOnly) {
  store::PushEventStore pushes(*db_, clock_);
  MUST(pushes.Record({{.project_id = shop_.id, .user_id = alice_.id, .ref = "refs/heads/old",
                       .new_commit = "1111111111111111"}}));
  clock_.Advance(std::chrono::seconds(5));
  MUST(pushes.Record({{.project_id = shop_.id, .user_id = alice_.id, .ref = "refs/heads/main",
                       .old_commit = "aaaaaaaaaaaaaaaa", .new_commit = "bbbbbbbbbbbbbbbb"},
                      {.project_id = shop_.id, .user_id = alice_.id, .ref = "refs/heads/gone",
                       .old_commit = "cccccccccccccccc"}}));
  Event event = Pushed(shop_, alice_.id, pushes);
  EXPECT_EQ(event.kind, "project.pushed");
  EXPECT_EQ(event.actor_id, alice_.id);
  EXPECT_EQ(event.project_id, shop_.id);
  ASSERT_EQ(event.data["refs"].size(), 2u) << event.data.dump();
  EXPECT_NE(event.message.find("main to bbbbbbbbbbbb"), std::string::npos) << event.message;
  EXPECT_NE(event.message.find("gone deleted"), std::string::npos) << event.message;
  EXPECT_EQ(event.message.find("old"), std::string::npos) << event.message;
}

TEST_F(RecorderTest, JsonNamesNullForThePlatformAndTheInstallation) {
  store::EventRecord record{.id = 4,
                            .at_ms = 1'800'000'000'042,
                            .kind = "token.created",
                            .message = "m"};
  nlohmann::json json = EventJson(record);
  EXPECT_EQ(json["at"], "2027-01-15T08:00:00.042Z");
  EXPECT_TRUE(json["project"].is_null());
  EXPECT_TRUE(json["deployment"].is_null());
  EXPECT_TRUE(json["actor"].is_null());
  EXPECT_EQ(json["data"], nlohmann::json::object());
  record.project_id = 1;
  record.project = "shop";
  record.actor_id = 2;
  record.actor = "alice";
  json = EventJson(record);
  EXPECT_EQ(json["project"], "shop");
  EXPECT_EQ(json["actor"], "alice");
}

}  // namespace
}  // namespace yard::events
