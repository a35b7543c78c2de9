// The status tree: its colour rules (pure), and its assembly from a fake engine, a volumes
// directory on disk and the build store, with the caches that keep the engine and the disk
// from being asked on every request.

#include "deployments/status_tree.h"

#include <gtest/gtest.h>

#include <fstream>

#include "controller/fake_runtime.h"
#include "deployments/disk_usage.h"
#include "deployments/ttl_cache.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments {
namespace {

using controller::Colour;

constexpr int64_t kNow = 1'800'000'000;

StatusTree Green() {
  StatusTree tree;
  tree.colour = Colour::kGreen;
  tree.containers.push_back({.service = "web",
                             .state = "running",
                             .engine_state = "running",
                             .health = "healthy",
                             .started_at = kNow - 3600,
                             .uptime_seconds = 3600,
                             .memory_bytes = 100LL << 20});
  return tree;
}

TEST(ColourRulesTest, AHealthyTreeStaysGreen) {
  StatusTree tree = Green();
  tree.size.memory_bytes = 1LL << 30;
  tree.storage = {.filesystem_bytes = 100LL << 30,
                  .filesystem_used_bytes = 50LL << 30,
                  .filesystem_available_bytes = 50LL << 30};
  ApplyColourRules(tree, true, kNow);
  EXPECT_EQ(tree.colour, Colour::kGreen);
  EXPECT_TRUE(tree.reasons.empty());
}

TEST(ColourRulesTest, AContainerThatEndedSinceTheControllerLookedIsRed) {
  StatusTree tree = Green();
  tree.containers[0].engine_state = "exited";
  tree.containers[0].last_exit_code = 137;
  ApplyColourRules(tree, true, kNow);
  EXPECT_EQ(tree.colour, Colour::kRed);
  EXPECT_EQ(tree.reasons, std::vector<std::string>{"web is not running (exited with code 137)"});
  // Stopped on purpose: not a fault.
  StatusTree stopped = Green();
  stopped.colour = Colour::kYellow;
  stopped.containers[0].engine_state = "exited";
  ApplyColourRules(stopped, false, kNow);
  EXPECT_EQ(stopped.colour, Colour::kYellow);
}

TEST(ColourRulesTest, MemoryNearTheLimitAndOomKillsAreYellow) {
  StatusTree tree = Green();
  tree.size.memory_bytes = 100LL << 20;
  tree.containers[0].memory_bytes = 95LL << 20;
  ApplyColourRules(tree, true, kNow);
  EXPECT_EQ(tree.colour, Colour::kYellow);
  ASSERT_EQ(tree.reasons.size(), 1u);
  EXPECT_EQ(tree.reasons[0], "web uses 95% of its memory limit (95 MiB of 100 MiB)");

  StatusTree killed = Green();
  killed.size.memory_bytes = 512LL << 20;
  killed.containers[0].oom_killed = true;
  ApplyColourRules(killed, true, kNow);
  EXPECT_EQ(killed.colour, Colour::kYellow);
  EXPECT_EQ(killed.reasons,
            std::vector<std::string>{
                "web was killed for lack of memory (limit 512 MiB); a larger size helps"});
}

TEST(ColourRulesTest, RestartLoopsAndRestartsAreYellow) {
  StatusTree tree = Green();
  tree.containers[0].restarts = 4;
  tree.containers[0].uptime_seconds = 30;
  ApplyColourRules(tree, true, kNow);
  EXPECT_EQ(tree.colour, Colour::kYellow);
  EXPECT_EQ(tree.reasons,
            std::vector<std::string>{"web has restarted 4 times; the last run started 30 s ago"});
  // Restarts long ago, a steady run since: green.
  StatusTree steady = Green();
  steady.containers[0].restarts = 4;
  ApplyColourRules(steady, true, kNow);
  EXPECT_EQ(steady.colour, Colour::kGreen);

  StatusTree restarting = Green();
  restarting.containers[0].engine_state = "restarting";
  ApplyColourRules(restarting, true, kNow);
  EXPECT_EQ(restarting.colour, Colour::kYellow);
}

TEST(ColourRulesTest, AFullDiskAndFailingCertificatesAreYellow) {
  StatusTree tree = Green();
  tree.storage = {.filesystem_bytes = 100LL << 30,
                  .filesystem_used_bytes = 95LL << 30,
                  .filesystem_available_bytes = 5LL << 30};
  tree.certificates.push_back({.host = "shop.example.com", .state = "error",
                               .error = "DNS problem"});
  tree.certificates.push_back({.host = "soon.example.com", .state = "valid",
                               .issuer = "acme-v02.api.letsencrypt.org",
                               .expires_at = kNow + 3 * 86400});
  // The internal CA's certificates last hours: never a warning.
  tree.certificates.push_back({.host = "web.localhost", .state = "valid", .issuer = "internal",
                               .expires_at = kNow + 3600});
  ApplyColourRules(tree, true, kNow);
  EXPECT_EQ(tree.colour, Colour::kYellow);
  EXPECT_EQ(tree.reasons,
            (std::vector<std::string>{
                "the disk holding the volumes is 95% full (5.0 GiB left)",
                "no certificate for shop.example.com: DNS problem",
                "the certificate of soon.example.com expires in 3 days and has not been renewed"}));
}

TEST(ColourRulesTest, NeverLowersTheControllersColour) {
  StatusTree tree = Green();
  tree.colour = Colour::kRed;
  tree.reasons = {"web keeps crashing"};
  tree.containers[0].engine_state = "restarting";
  ApplyColourRules(tree, true, kNow);
  EXPECT_EQ(tree.colour, Colour::kRed);
  EXPECT_EQ(tree.reasons.size(), 2u);
}

TEST(TtlCacheTest, ComputesOncePerTimeToLive) {
  auto now = std::chrono::steady_clock::time_point{};
  TtlCache<int, int> cache(std::chrono::seconds(5), [&] { return now; });
  int computed = 0;
  auto compute = [&] { return ++computed; };
  EXPECT_EQ(cache.Get(1, compute), 1);
  EXPECT_EQ(cache.Get(1, compute), 1);
  EXPECT_EQ(cache.Get(2, compute), 2);
  now += std::chrono::seconds(6);
  EXPECT_EQ(cache.Get(1, compute), 3);
}

TEST(DiskUsageTest, CountsAllocatedBlocksOnce) {
  testing::TempDir dir;
  std::string root = dir.File("v");
  std::filesystem::create_directories(root + "/sub");
  std::ofstream(root + "/sub/file") << std::string(100000, 'x');
  std::filesystem::create_hard_link(root + "/sub/file", root + "/link");
  std::filesystem::create_symlink("/usr", root + "/outside");
  DiskUsage usage = MUST(MeasureDiskUsage(root));
  EXPECT_GE(usage.bytes, 100000);
  EXPECT_LT(usage.bytes, 200000);  // the hard link counts once, the symlink's target not at all
  EXPECT_EQ(usage.files, 1);
  EXPECT_EQ(MeasureDiskUsage(dir.File("missing")).error().code, ErrorCode::kNotFound);
  EXPECT_GT(MUST(SpaceOf(root)).size_bytes, 0);
}

class StatusTreesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    runtime_.AddImage("web:1");
    // A deployment in the store, for its builds.
    store::User alice = MUST(users_.Create("alice", store::Role::kUser));
    store::Project shop = MUST(projects_.Create({.name = "shop",
                                                 .source_kind = store::SourceKind::kHosted,
                                                 .repo_path = "/data/repos/shop.git",
                                                 .created_by = alice.id}));
    d_ = MUST(deployments_.Create({.project_id = shop.id, .name = "dev", .stage = "development",
                                   .branch = "main", .memory_bytes = 512LL << 20,
                                   .created_by = alice.id}));
    d_.phase = "running";
  }

  std::string Start(const std::string& service, const std::string& name) {
    runtime::ContainerSpec spec{.name = name, .image = "web:1"};
    spec.labels = {{std::string(runtime::kLabelDeployment), std::to_string(d_.id)},
                   {std::string(runtime::kLabelComponent), service},
                   {std::string(runtime::kLabelRole), "service"}};
    std::string id = MUST(runtime_.CreateContainer(spec));
    MUST(runtime_.StartContainer(id));
    return id;
  }

  StatusTrees Trees() {
    return StatusTrees({.builds = &builds_,
                        .runtime = &runtime_,
                        .naming = {.installation = "inst", .volumes_dir = dir_.File("volumes")},
                        .clock = &clock_},
                       {.now = [this] { return steady_; }});
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_{kNow};
  store::UserStore users_{*db_, clock_};
  store::ProjectStore projects_{*db_, clock_};
  store::DeploymentStore deployments_{*db_, clock_};
  store::BuildStore builds_{*db_, clock_};
  controller::testing::FakeRuntime runtime_;
  testing::TempDir dir_;
  std::chrono::steady_clock::time_point steady_{};
  store::Deployment d_;
};

TEST_F(StatusTreesTest, MergesTheControllersServicesWithTheEngineAndTheDisk) {
  Start("web", "sy-web-2");
  Start("web", "sy-web-1");  // the previous version, still draining
  std::string volumes = dir_.File("volumes/shop/dev");
  std::filesystem::create_directories(volumes + "/code");
  std::filesystem::create_directories(volumes + "/data/db/data");
  std::ofstream(volumes + "/data/db/data/table") << std::string(50000, 'x');

  controller::DeploymentStatus status;
  status.phase = controller::Phase::kRunning;
  status.colour = Colour::kGreen;
  status.services.push_back({.id = "web",
                             .state = controller::ServiceState::kRunning,
                             .health = controller::HealthState::kHealthy,
                             .restarts = 1,
                             .container = "sy-web-2",
                             .started_at = kNow - 60});
  status.services.push_back({.id = "db", .addon = true,
                             .state = controller::ServiceState::kStarting});
  controller::EndpointStatus endpoint{.id = "app", .service = "web", .url = "https://x"};
  endpoint.hosts.push_back({.name = "app-dev-shop.localhost", .url = "https://x"});
  endpoint.hosts.back().certificate = {.state = "valid", .issuer = "internal",
                                       .not_after = kNow + 3600};
  status.endpoints.push_back(endpoint);
  MUST(builds_.Enqueue(d_.id, "abc", 0, "push", std::nullopt));

  StatusTrees trees = Trees();
  StatusTree tree = trees.Of(d_, status);
  EXPECT_EQ(tree.phase, "running");
  ASSERT_EQ(tree.containers.size(), 3u);
  EXPECT_EQ(tree.containers[0].service, "web");
  EXPECT_EQ(tree.containers[0].container, "sy-web-2");
  EXPECT_EQ(tree.containers[0].engine_state, "running");
  EXPECT_EQ(tree.containers[0].restarts, 1);
  EXPECT_TRUE(tree.containers[0].memory_bytes.has_value());
  EXPECT_FALSE(tree.containers[0].previous);
  EXPECT_EQ(tree.containers[1].service, "db");
  EXPECT_TRUE(tree.containers[1].addon);
  EXPECT_EQ(tree.containers[1].container, "");
  EXPECT_EQ(tree.containers[2].container, "sy-web-1");
  EXPECT_TRUE(tree.containers[2].previous);

  ASSERT_EQ(tree.storage.volumes.size(), 2u);
  EXPECT_EQ(tree.storage.volumes[0].name, "code");
  EXPECT_EQ(tree.storage.volumes[1].name, "db/data");
  EXPECT_GE(tree.storage.volumes[1].bytes, 50000);
  EXPECT_EQ(tree.storage.total_bytes, tree.storage.volumes[0].bytes + tree.storage.volumes[1].bytes);
  EXPECT_GT(tree.storage.filesystem_bytes, 0);

  ASSERT_EQ(tree.builds.size(), 1u);
  EXPECT_EQ(tree.builds[0].state, "queued");
  ASSERT_EQ(tree.certificates.size(), 1u);
  EXPECT_EQ(tree.certificates[0].host, "app-dev-shop.localhost");
  EXPECT_EQ(tree.certificates[0].endpoint, "app");
}

TEST_F(StatusTreesTest, TheEngineIsAskedAgainOnlyAfterItsTimeToLive) {
  std::string id = Start("web", "sy-web-1");
  StatusTrees trees = Trees();
  // Not observed by the controller yet: the store's phase, and the engine's containers.
  StatusTree first = trees.Of(d_, std::nullopt);
  EXPECT_EQ(first.colour, Colour::kGreen);
  ASSERT_EQ(first.containers.size(), 1u);
  EXPECT_EQ(first.containers[0].state, "running");

  MUST(runtime_.RemoveContainer(id));
  EXPECT_EQ(trees.Of(d_, std::nullopt).containers.size(), 1u);  // cached
  steady_ += std::chrono::seconds(6);
  EXPECT_TRUE(trees.Of(d_, std::nullopt).containers.empty());
}

}  // namespace
}  // namespace yard::deployments
