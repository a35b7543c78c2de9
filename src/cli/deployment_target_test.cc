#include "cli/deployment_target.h"

#include <gtest/gtest.h>

namespace yard::cli {
namespace {

TEST(DeploymentTargetTest, ProjectSlashDeployment) {
  DeploymentTarget target = MUST(ParseDeploymentTarget("shop/pr-7"));
  EXPECT_EQ(target.project, "shop");
  EXPECT_EQ(target.deployment, "pr-7");
  EXPECT_EQ(DeploymentPath(target), "/api/v1/projects/shop/deployments/pr-7");
  for (const char* bad : {"shop", "/dev", "shop/", "a/b/c", ""}) {
    auto parsed = ParseDeploymentTarget(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kUsage);
  }
}

}  // namespace
}  // namespace yard::cli
