#include "store/events.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "store/deployments.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    bob_ = MUST(users_.Create("bob", Role::kUser));
    shop_ = MUST(projects_.Create(Project{.name = "shop",
                                          .source_kind = SourceKind::kHosted,
                                          .repo_path = "/data/repos/shop.git",
                                          .created_by = alice_.id}));
    blog_ = MUST(projects_.Create(Project{.name = "blog",
                                          .source_kind = SourceKind::kHosted,
                                          .repo_path = "/data/repos/blog.git",
                                          .created_by = bob_.id}));
    dev_ = MUST(deployments_.Create(Deployment{.project_id = shop_.id,
                                               .name = "dev",
                                               .stage = "development",
                                               .branch = "main",
                                               .created_by = alice_.id}));
  }

  EventRecord Add(std::optional<int64_t> project_id, std::string deployment, std::string kind,
                  int64_t at_ms = 1'000) {
    return MUST(events_.Insert(EventRecord{.at_ms = at_ms,
                                           .project_id = project_id,
                                           .deployment = std::move(deployment),
                                           .kind = std::move(kind),
                                           .message = "something"}));
  }

  static std::vector<std::string> Kinds(const std::vector<EventRecord>& events) {
    std::vector<std::string> kinds;
    for (const EventRecord& e : events) kinds.push_back(e.kind);
    return kinds;
  }

  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_;
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  DeploymentStore deployments_{*db_, clock_};
  EventStore events_{*db_};
  User alice_;
  User bob_;
  Project shop_;
  Project blog_;
  Deployment dev_;
};

TEST_F(EventStoreTest, InsertsAndReadsBackEveryField) {
  EventRecord made = MUST(events_.Insert(EventRecord{
      .at_ms = 1'800'000'000'123,
      .project_id = shop_.id,
      .project = "shop",
      .deployment_id = dev_.id,
      .deployment = "dev",
      .actor_id = alice_.id,
      .actor = "alice",
      .kind = "deployment.stopped",
      .message = "stopped",
      .data = {{"version", 3}}}));
  EXPECT_GT(made.id, 0);
  auto listed = MUST(events_.List({}));
  ASSERT_EQ(listed.size(), 1u);
  const EventRecord& e = listed[0];
  EXPECT_EQ(e.id, made.id);
  EXPECT_EQ(e.at_ms, 1'800'000'000'123);
  EXPECT_EQ(e.project_id, shop_.id);
  EXPECT_EQ(e.project, "shop");
  EXPECT_EQ(e.deployment_id, dev_.id);
  EXPECT_EQ(e.deployment, "dev");
  EXPECT_EQ(e.actor_id, alice_.id);
  EXPECT_EQ(e.actor, "alice");
  EXPECT_EQ(e.kind, "deployment.stopped");
  EXPECT_EQ(e.message, "stopped");
  EXPECT_EQ(e.data, (nlohmann::json{{"version", 3}}));
  EXPECT_EQ(MUST(events_.LastId()), made.id);
}

TEST_F(EventStoreTest, FillsNamesFromIds) {
  MUST(events_.Insert(EventRecord{.deployment_id = dev_.id, .actor_id = bob_.id,
                                  .kind = "build.started", .message = "m"}));
  MUST(events_.Insert(EventRecord{.project_id = blog_.id, .kind = "project.pushed",
                                  .message = "m"}));
  MUST(events_.Insert(EventRecord{.kind = "user.created", .message = "m"}));
  auto listed = MUST(events_.List({}));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].project_id, shop_.id);
  EXPECT_EQ(listed[0].project, "shop");
  EXPECT_EQ(listed[0].deployment, "dev");
  EXPECT_EQ(listed[0].actor, "bob");
  EXPECT_EQ(listed[1].project, "blog");
  EXPECT_EQ(listed[1].deployment_id, std::nullopt);
  EXPECT_EQ(listed[2].project_id, std::nullopt);
  EXPECT_EQ(listed[2].project, "");
  EXPECT_EQ(listed[2].actor_id, std::nullopt);
}

TEST_F(EventStoreTest, KeepsNamesAfterTheDeploymentIsGone) {
  MUST(events_.Insert(EventRecord{.deployment_id = dev_.id, .kind = "deployment.created",
                                  .message = "m"}));
  MUST(deployments_.Delete(dev_.id));
  auto listed = MUST(events_.List({.project_id = shop_.id, .deployment = "dev"}));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].deployment, "dev");
}

TEST_F(EventStoreTest, FiltersByProjectDeploymentKindAndTime) {
  Add(shop_.id, "dev", "deployment.created", 1'000);
  Add(shop_.id, "dev", "build.queued", 2'000);
  Add(shop_.id, "prod", "build.failed", 3'000);
  Add(blog_.id, "dev", "build.started", 4'000);
  Add(shop_.id, "", "project.pushed", 5'000);

  EXPECT_EQ(Kinds(MUST(events_.List({.project_id = shop_.id}))),
            (std::vector<std::string>{"deployment.created", "build.queued", "build.failed",
                                      "project.pushed"}));
  EXPECT_EQ(Kinds(MUST(events_.List({.project_id = shop_.id, .deployment = "dev"}))),
            (std::vector<std::string>{"deployment.created", "build.queued"}));
  EXPECT_EQ(Kinds(MUST(events_.List({.kind_prefix = "build"}))),
            (std::vector<std::string>{"build.queued", "build.failed", "build.started"}));
  EXPECT_EQ(Kinds(MUST(events_.List({.kind_prefix = "build.f"}))),
            (std::vector<std::string>{"build.failed"}));
  // The prefix is text, not a pattern, and case matters.
  EXPECT_TRUE(MUST(events_.List({.kind_prefix = "%"})).empty());
  EXPECT_TRUE(MUST(events_.List({.kind_prefix = "BUILD"})).empty());
  EXPECT_EQ(Kinds(MUST(events_.List({.since_ms = 3'000}))),
            (std::vector<std::string>{"build.failed", "build.started", "project.pushed"}));
}

TEST_F(EventStoreTest, LimitTakesTheNewestOrTheOldestAfterACursor) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Add(shop_.id, "dev", fmt::format("e{}", i)).id);
  EXPECT_EQ(Kinds(MUST(events_.List({.limit = 2}))), (std::vector<std::string>{"e3", "e4"}));
  EXPECT_EQ(Kinds(MUST(events_.List({.after_id = ids[0], .limit = 2}))),
            (std::vector<std::string>{"e1", "e2"}));
  EXPECT_TRUE(MUST(events_.List({.after_id = ids[4]})).empty());
  EXPECT_TRUE(MUST(events_.List({.limit = 0})).empty());
}

TEST_F(EventStoreTest, UsersSeeTheirProjectsAndTheirOwnInstallationEvents) {
  Add(shop_.id, "dev", "shop.event");
  Add(blog_.id, "dev", "blog.event");
  MUST(events_.Insert(EventRecord{.actor_id = alice_.id, .kind = "token.created", .message = "m"}));
  MUST(events_.Insert(EventRecord{.actor_id = bob_.id, .kind = "key.added", .message = "m"}));
  Add(std::nullopt, "", "platform.event");

  EXPECT_EQ(Kinds(MUST(events_.List({.visible_to = alice_.id}))),
            (std::vector<std::string>{"shop.event", "token.created"}));
  EXPECT_EQ(Kinds(MUST(events_.List({.visible_to = bob_.id}))),
            (std::vector<std::string>{"blog.event", "key.added"}));
  EXPECT_EQ(MUST(events_.List({})).size(), 5u);
  // Membership decides at read time.
  MUST(projects_.AddMember(blog_.id, alice_.id, MemberRole::kMember));
  EXPECT_EQ(MUST(events_.List({.visible_to = alice_.id})).size(), 3u);
}

TEST_F(EventStoreTest, DeletesEventsOlderThanACutoff) {
  Add(shop_.id, "dev", "old", 1'000);
  Add(shop_.id, "dev", "edge", 2'000);
  Add(shop_.id, "dev", "new", 3'000);
  EXPECT_EQ(MUST(events_.DeleteBefore(2'000)), 1);
  EXPECT_EQ(Kinds(MUST(events_.List({}))), (std::vector<std::string>{"edge", "new"}));
  EXPECT_EQ(MUST(events_.DeleteBefore(2'000)), 0);
}

TEST_F(EventStoreTest, LastIdIsZeroWhenEmpty) { EXPECT_EQ(MUST(events_.LastId()), 0); }

}  // namespace
}  // namespace yard::store
