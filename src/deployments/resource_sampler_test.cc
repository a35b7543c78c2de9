// The resource sampler over a fake engine and a volumes directory on disk: what a pass
// records per service, the CPU share between two passes' readings, and pruning.

#include "deployments/resource_sampler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controller/fake_runtime.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kMiB = 1 << 20;

class ResourceSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    runtime_.AddImage("web:1");
    store::User alice = MUST(users_.Create("alice", store::Role::kUser));
    store::Project shop = MUST(projects_.Create({.name = "shop",
                                                 .source_kind = store::SourceKind::kHosted,
                                                 .repo_path = "/data/repos/shop.git",
                                                 .created_by = alice.id}));
    dev_ = MUST(deployments_.Create({.project_id = shop.id, .name = "dev",
                                     .stage = "development", .branch = "main",
                                     .created_by = alice.id}));
    stopped_ = MUST(deployments_.Create({.project_id = shop.id, .name = "old",
                                         .stage = "development", .branch = "main",
                                         .desired = store::Desired::kStopped,
                                         .created_by = alice.id}));
    web_ = Start(dev_, "web", "sy-web-1");
    db_container_ = Start(dev_, "db", "sy-db-1");
    Start(stopped_, "web", "sy-old-web-1");  // stopping: not sampled

    std::string volumes = dir_.File("volumes/shop/dev");
    std::filesystem::create_directories(volumes + "/code");
    std::ofstream(volumes + "/code/app.py") << std::string(20000, 'x');
    std::filesystem::create_directories(volumes + "/data/db/data");
    std::ofstream(volumes + "/data/db/data/table") << std::string(50000, 'x');

    status_.phase = controller::Phase::kRunning;
    status_.colour = controller::Colour::kRed;
    status_.services.push_back({.id = "web", .state = controller::ServiceState::kRunning,
                                .container = "sy-web-1"});
    status_.services.push_back({.id = "worker", .state = controller::ServiceState::kCrashed});
    status_.services.push_back({.id = "db", .addon = true,
                                .state = controller::ServiceState::kRunning,
                                .container = "sy-db-1"});
  }

  std::string Start(const store::Deployment& d, const std::string& service,
                    const std::string& name) {
    runtime::ContainerSpec spec{.name = name, .image = "web:1"};
    spec.labels = {{std::string(runtime::kLabelDeployment), std::to_string(d.id)},
                   {std::string(runtime::kLabelComponent), service},
                   {std::string(runtime::kLabelRole), "service"}};
    std::string id = MUST(runtime_.CreateContainer(spec));
    MUST(runtime_.StartContainer(id));
    return id;
  }

  // The next pass, `seconds` later.
  void Later(int seconds) {
    clock_.Advance(std::chrono::seconds(seconds));
    steady_ += std::chrono::seconds(seconds);
  }

  std::vector<store::ResourceSample> At(int64_t at) {
    std::vector<store::ResourceSample> out;
    for (store::ResourceSample& sample :
         MUST(samples_.List({.deployment_id = dev_.id, .from = 0, .to = kNow * 2}))) {
      if (sample.at == at) out.push_back(std::move(sample));
    }
    return out;
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_{kNow};
  store::UserStore users_{*db_, clock_};
  store::ProjectStore projects_{*db_, clock_};
  store::DeploymentStore deployments_{*db_, clock_};
  store::BuildStore builds_{*db_, clock_};
  store::ResourceSampleStore samples_{*db_};
  controller::testing::FakeRuntime runtime_;
  testing::TempDir dir_;
  std::chrono::steady_clock::time_point steady_{};
  StatusTrees trees_{{.builds = &builds_,
                      .runtime = &runtime_,
                      .naming = {.installation = "inst", .volumes_dir = dir_.File("volumes")},
                      .clock = &clock_},
                     {.now = [this] { return steady_; }}};
  controller::DeploymentStatus status_;
  ResourceSampler sampler_{deployments_, trees_,
                           [this](const store::Deployment& d) {
                             return d.id == dev_.id
                                        ? std::optional<controller::DeploymentStatus>(status_)
                                        : std::nullopt;
                           },
                           samples_, clock_};
  store::Deployment dev_;
  store::Deployment stopped_;
  std::string web_;
  std::string db_container_;
};

TEST_F(ResourceSamplerTest, SamplesEachServiceOfRunningDeployments) {
  runtime_.SetStats(web_, {.cpu_percent = 7, .cpu_total_ns = 1'000'000'000,
                           .memory_bytes = 100 * kMiB});
  runtime_.SetStats(db_container_, {.cpu_percent = 1, .cpu_total_ns = 5'000'000'000,
                                    .memory_bytes = 50 * kMiB});
  MUST(sampler_.Sample());

  std::vector<store::ResourceSample> samples = At(kNow);
  ASSERT_EQ(samples.size(), 3u);  // by name: db, web, worker
  const store::ResourceSample& db = samples[0];
  const store::ResourceSample& web = samples[1];
  const store::ResourceSample& worker = samples[2];
  EXPECT_EQ(db.component, "db");
  EXPECT_EQ(web.component, "web");
  EXPECT_EQ(worker.component, "worker");
  // A first reading: the engine's own share.
  EXPECT_DOUBLE_EQ(*web.cpu_percent, 7);
  EXPECT_EQ(web.memory_bytes, 100 * kMiB);
  EXPECT_EQ(db.memory_bytes, 50 * kMiB);
  // Components mount the code volume; an add-on its own data volumes only.
  EXPECT_GE(*web.disk_bytes, 20000);
  EXPECT_LT(*web.disk_bytes, 50000);
  EXPECT_GE(*db.disk_bytes, 50000);
  EXPECT_LT(*db.disk_bytes, 70000);
  // Known to the controller, not running: a sample without figures.
  EXPECT_FALSE(worker.cpu_percent.has_value());
  EXPECT_FALSE(worker.memory_bytes.has_value());
  EXPECT_FALSE(worker.disk_bytes.has_value());
  // Nothing for the deployment that is stopping.
  EXPECT_TRUE(MUST(samples_.List({.deployment_id = stopped_.id, .from = 0, .to = kNow * 2}))
                  .empty());
}

TEST_F(ResourceSamplerTest, CpuIsTheShareBetweenTwoPassesReadings) {
  runtime_.SetStats(web_, {.cpu_percent = 7, .cpu_total_ns = 1'000'000'000,
                           .memory_bytes = 100 * kMiB});
  MUST(sampler_.Sample());
  // 3 s of CPU in 10 s: 30% of a core, whatever the engine's momentary figure says.
  Later(10);
  runtime_.SetStats(web_, {.cpu_percent = 90, .cpu_total_ns = 4'000'000'000,
                           .memory_bytes = 120 * kMiB});
  MUST(sampler_.Sample());
  std::vector<store::ResourceSample> second = At(kNow + 10);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_NEAR(*second[1].cpu_percent, 30, 1e-9);
  EXPECT_EQ(second[1].memory_bytes, 120 * kMiB);

  // A pass within the status tree's time to live sees the same reading: the same share, not
  // a division by nothing.
  clock_.Advance(std::chrono::seconds(1));
  MUST(sampler_.Sample());
  std::vector<store::ResourceSample> third = At(kNow + 11);
  ASSERT_EQ(third.size(), 3u);
  EXPECT_NEAR(*third[1].cpu_percent, 30, 1e-9);

  // A counter that went back (the container was made again under its name): the engine's.
  Later(10);
  runtime_.SetStats(web_, {.cpu_percent = 2, .cpu_total_ns = 100'000'000,
                           .memory_bytes = 10 * kMiB});
  MUST(sampler_.Sample());
  EXPECT_DOUBLE_EQ(*At(kNow + 21)[1].cpu_percent, 2);
}

TEST_F(ResourceSamplerTest, PrunesSamplesOlderThanTheRetention) {
  MUST(sampler_.Sample());
  Later(24 * 3600);
  MUST(sampler_.Sample());
  Later(3600 + 1);
  MUST(sampler_.Prune());
  EXPECT_TRUE(At(kNow).empty());
  EXPECT_EQ(At(kNow + 24 * 3600).size(), 3u);
}

}  // namespace
}  // namespace yard::deployments
