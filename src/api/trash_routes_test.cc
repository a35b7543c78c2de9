// The trash and enable/disable routes through the router, without a controller: the
// controller's part of a delete is done by hand (record, move, remove the row).

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "api/api_fixture.h"
#include "base/fs.h"
#include "git/test_repo.h"
#include "store/domains.h"
#include "store/trash.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

class TrashRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.trash = &trash_;
    services_.auto_stop = &auto_stop_;
    ApiFixture::SetUp();
    alice_ = MUST(users_.FindByName("alice"));
    bob_token_ = MakeUser("bob", store::Role::kUser);
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", "version: 1\ncomponents:\n  - id: web\n");
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    shop_ = MUST(projects_.Create({"shop", source}, alice_));
    MUST(project_store_.AddMember(shop_.id, MUST(users_.FindByName("bob")).id,
                                  store::MemberRole::kMember));
  }

  // Creates `name` (unless it exists) with a file in its volumes and deletes it as the
  // controller would.
  store::TrashEntry Trashed(const std::string& name) {
    auto existing = deployment_store_.FindByName(shop_.id, name);
    store::Deployment d =
        existing ? *existing
                 : MUST(deployment_service_.Create(shop_, {.name = name, .stage = "production"},
                                                   alice_));
    std::string data = naming_.StorageDir("shop", name, "web", "data");
    MUST(fs::CreateDirectories(data));
    MUST(fs::AtomicWriteFile(data + "/file", "kept"));
    std::string path = fmt::format("{}/shop-{}-{}-{}", trash_dir_, name, d.id, clock_.NowUnix());
    store::TrashEntry entry = MUST(trash_store_.Add(
        {.project_id = shop_.id,
         .name = name,
         .stage = d.stage,
         .deployment_id = d.id,
         .path = path,
         .snapshot = store::WriteSnapshot(MUST(store::SnapshotOf(deployment_store_, nullptr, d))),
         .purge_at = clock_.NowUnix() + 3600}));
    MUST(fs::CreateDirectories(trash_dir_));
    std::filesystem::rename(naming_.DeploymentDir("shop", name), path);
    MUST(deployment_store_.Delete(d.id));
    return entry;
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  store::TrashStore trash_store_{*db_, clock_};
  std::string trash_dir_ = dir_.File("trash");
  controller::Naming naming_{.installation = "0123456789ab", .volumes_dir = dir_.File("volumes")};
  deployments::AutoStop auto_stop_{deployment_store_, project_store_, deployment_service_, clock_};
  deployments::Trash trash_{{*db_, trash_store_, deployment_store_, nullptr},
                            deployment_service_,
                            &auto_stop_,
                            clock_,
                            {.trash_dir = trash_dir_, .naming = naming_}};
  store::User alice_;
  store::Project shop_;
  std::string bob_token_;
};

TEST_F(TrashRoutesTest, ListRestoreAndPurge) {
  http::Response empty = Call("GET", "/api/v1/projects/shop/trash", user_token_);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(BodyOf(empty)["trash"].empty());
  EXPECT_EQ(BodyOf(empty)["retention_seconds"], 7 * 24 * 3600);

  store::TrashEntry entry = Trashed("prod");
  Json listed = BodyOf(Call("GET", "/api/v1/projects/shop/trash", bob_token_));
  ASSERT_EQ(listed["trash"].size(), 1u);
  EXPECT_EQ(listed["trash"][0]["id"], entry.id);
  EXPECT_EQ(listed["trash"][0]["name"], "prod");
  EXPECT_EQ(listed["trash"][0]["has_data"], true);
  EXPECT_EQ(listed["trash"][0]["purge_at"], FormatTimestamp(entry.purge_at));

  // The name is taken again meanwhile: 409, and nothing changes.
  MUST(deployment_service_.Create(shop_, {.name = "prod", .stage = "production"}, alice_));
  http::Response taken = Call("POST", "/api/v1/projects/shop/trash/prod/restore", bob_token_);
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(BodyOf(taken)["error"]["message"],
            "project 'shop' already has a deployment 'prod'; restore this one under another "
            "name (\"name\")");
  EXPECT_EQ(Call("POST", "/api/v1/projects/shop/trash/prod/restore", bob_token_,
                 R"({"nmae": "x"})").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/projects/shop/trash/99/restore", bob_token_).status, 404);

  http::Response restored = Call("POST",
                                 fmt::format("/api/v1/projects/shop/trash/{}/restore", entry.id),
                                 bob_token_, R"({"name": "prod-old"})");
  ASSERT_EQ(restored.status, 201) << restored.body;
  Json body = BodyOf(restored);
  EXPECT_EQ(body["deployment"]["name"], "prod-old");
  EXPECT_EQ(body["deployment"]["desired"], "running");
  EXPECT_EQ(body["deployment"]["stage_kind"], "build");
  EXPECT_EQ(body["data"], true);
  EXPECT_EQ(MUST(fs::ReadFile(naming_.StorageDir("shop", "prod-old", "web", "data") + "/file")),
            "kept");
  EXPECT_TRUE(BodyOf(Call("GET", "/api/v1/projects/shop/trash", bob_token_))["trash"].empty());

  // Purging: owners and admins only.
  store::TrashEntry again = Trashed("prod-old");
  std::string purge = fmt::format("/api/v1/projects/shop/trash/{}", again.id);
  EXPECT_EQ(Call("DELETE", purge, bob_token_).status, 403);
  EXPECT_TRUE(fs::Exists(again.path));
  http::Response purged = Call("DELETE", purge, user_token_);
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(BodyOf(purged)["purged"]["name"], "prod-old");
  EXPECT_FALSE(fs::Exists(again.path));
  EXPECT_EQ(Call("DELETE", purge, user_token_).status, 404);
}

TEST_F(TrashRoutesTest, EnableForAWhileAndDisable) {
  MUST(deployment_service_.Create(shop_, {.name = "prod", .stage = "production"}, alice_));
  std::string path = "/api/v1/projects/shop/deployments/prod";
  http::Response bad = Call("POST", path + "/enable", bob_token_, R"({"for": "soon"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(BodyOf(bad)["error"]["message"],
            "'soon' is not a time to run: write a duration such as 30m, 2h, 1h30m or 7d (at "
            "most 365d), or never");

  http::Response enabled = Call("POST", path + "/enable", bob_token_, R"({"for": "2h"})");
  ASSERT_EQ(enabled.status, 202) << enabled.body;
  EXPECT_EQ(BodyOf(enabled)["stop_at"], FormatTimestamp(clock_.NowUnix() + 7200));
  EXPECT_EQ(BodyOf(enabled)["desired"], "running");

  http::Response disabled = Call("POST", path + "/disable", bob_token_);
  ASSERT_EQ(disabled.status, 202) << disabled.body;
  EXPECT_EQ(BodyOf(disabled)["desired"], "stopped");
  EXPECT_TRUE(BodyOf(disabled)["stop_at"].is_null());

  // Stopped by itself: said among the reasons.
  ASSERT_EQ(Call("POST", path + "/enable", bob_token_, R"({"for": "5s"})").status, 202);
  clock_.Advance(std::chrono::seconds(5));
  MUST(auto_stop_.Sweep());
  Json shown = BodyOf(Call("GET", path, bob_token_));
  EXPECT_EQ(shown["desired"], "stopped");
  ASSERT_FALSE(shown["status"]["reasons"].empty());
  EXPECT_TRUE(shown["status"]["reasons"][0].get<std::string>().starts_with(
      "stopped automatically at "))
      << shown["status"]["reasons"];

  // Start is enable without a time; a build stage then runs until stopped.
  http::Response started = Call("POST", path + "/start", bob_token_);
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_TRUE(BodyOf(started)["stop_at"].is_null());
}

}  // namespace
}  // namespace yard::api
