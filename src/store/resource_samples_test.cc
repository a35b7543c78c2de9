#include "store/resource_samples.h"

#include <gtest/gtest.h>

#include "store/migrations.h"

namespace yard::store {
namespace {

class ResourceSampleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { MUST(Migrate(*db_, SchemaMigrations())); }

  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  ResourceSampleStore samples_{*db_};
};

TEST_F(ResourceSampleStoreTest, ListsOneDeploymentsSamplesInARangeByComponentAndTime) {
  MUST(samples_.Insert({
      {.deployment_id = 1, .component = "web", .at = 1030, .cpu_percent = 2.5,
       .memory_bytes = 200, .disk_bytes = 10},
      {.deployment_id = 1, .component = "web", .at = 1000, .cpu_percent = 1.5,
       .memory_bytes = 100, .disk_bytes = 10},
      {.deployment_id = 1, .component = "db", .at = 1000, .cpu_percent = 0.25,
       .memory_bytes = 50, .disk_bytes = 7},
      {.deployment_id = 1, .component = "web", .at = 900, .cpu_percent = 9, .memory_bytes = 9},
      {.deployment_id = 2, .component = "web", .at = 1000, .cpu_percent = 3, .memory_bytes = 3},
      // Not running: no figures.
      {.deployment_id = 1, .component = "worker", .at = 1000},
  }));
  auto listed = MUST(samples_.List({.deployment_id = 1, .from = 950, .to = 1100}));
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[0].component, "db");
  EXPECT_EQ(listed[0].at, 1000);
  EXPECT_DOUBLE_EQ(*listed[0].cpu_percent, 0.25);
  EXPECT_EQ(listed[1].component, "web");
  EXPECT_EQ(listed[1].at, 1000);
  EXPECT_EQ(listed[1].memory_bytes, 100);
  EXPECT_EQ(listed[2].at, 1030);
  EXPECT_DOUBLE_EQ(*listed[2].cpu_percent, 2.5);
  EXPECT_EQ(listed[2].disk_bytes, 10);
  EXPECT_EQ(listed[3].component, "worker");
  EXPECT_FALSE(listed[3].cpu_percent.has_value());
  EXPECT_FALSE(listed[3].memory_bytes.has_value());
  EXPECT_FALSE(listed[3].disk_bytes.has_value());
  // The end is exclusive.
  EXPECT_EQ(MUST(samples_.List({.deployment_id = 1, .from = 950, .to = 1030})).size(), 3u);
}

TEST_F(ResourceSampleStoreTest, AveragesOverStepsLeavingOutMissingFigures) {
  std::vector<ResourceSample> batch;
  for (int64_t at = 0; at < 600; at += 30) {
    ResourceSample sample{.deployment_id = 1, .component = "web", .at = at};
    // Running for the first 5 minutes only; the second step has no figures at all.
    if (at < 300) {
      sample.cpu_percent = at < 150 ? 10.0 : 20.0;
      sample.memory_bytes = 1000 + at;
      sample.disk_bytes = 4096;
    }
    batch.push_back(sample);
  }
  MUST(samples_.Insert(batch));
  auto steps = MUST(samples_.List({.deployment_id = 1, .from = 0, .to = 600, .step_seconds = 300}));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].at, 0);
  EXPECT_DOUBLE_EQ(*steps[0].cpu_percent, 15.0);
  EXPECT_EQ(steps[0].memory_bytes, 1135);  // the mean of 1000, 1030, …, 1270
  EXPECT_EQ(steps[0].disk_bytes, 4096);
  EXPECT_EQ(steps[1].at, 300);
  EXPECT_FALSE(steps[1].cpu_percent.has_value());
  EXPECT_FALSE(steps[1].memory_bytes.has_value());
}

TEST_F(ResourceSampleStoreTest, PrunesByAge) {
  MUST(samples_.Insert({{.deployment_id = 1, .component = "web", .at = 100, .memory_bytes = 1},
                        {.deployment_id = 1, .component = "web", .at = 200, .memory_bytes = 2},
                        {.deployment_id = 2, .component = "web", .at = 300, .memory_bytes = 3}}));
  EXPECT_EQ(MUST(samples_.DeleteBefore(201)), 2);
  EXPECT_EQ(MUST(samples_.List({.deployment_id = 2, .from = 0, .to = 1000})).size(), 1u);
  EXPECT_TRUE(MUST(samples_.List({.deployment_id = 1, .from = 0, .to = 1000})).empty());
  MUST(samples_.Insert({}));
}

}  // namespace
}  // namespace yard::store
