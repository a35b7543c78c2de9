// The pure part of build_cgroup.h: where a build's cgroup lives. KillCgroup is tested against
// real builds in docker_runtime_test.cc.

#include "runtime/build_cgroup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace yard::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(BuildCgroupTest, DirsInEveryCgroupHierarchy) {
  // A hybrid host: v1 controllers and the unified v2 tree, among other mounts.
  std::string mountinfo =
      "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n"
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 master:2 - cgroup cgroup rw,cpu\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
      "42 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
      "50 31 0:40 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n"
      "60 31 0:41 / /mnt/not-cgroup rw - ext4 /dev/sda1 rw\n"
      "broken line\n";
  EXPECT_THAT(
      CgroupDirs(mountinfo, "stackyard-build-x"),
      ElementsAre("/sys/fs/cgroup/cpu/stackyard-build-x", "/sys/fs/cgroup/memory/stackyard-build-x",
                  "/sys/fs/cgroup/unified/stackyard-build-x", "/mnt/with space/stackyard-build-x"));
  // cgroup v2 only, without a trailing newline.
  EXPECT_THAT(CgroupDirs("29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw", "b"),
              ElementsAre("/sys/fs/cgroup/b"));
  EXPECT_TRUE(CgroupDirs("60 31 0:41 / / rw - ext4 /dev/sda1 rw\n", "b").empty());
  EXPECT_TRUE(CgroupDirs("", "b").empty());
}

TEST(BuildCgroupTest, NamesAreFreshAndCarryTheInstallation) {
  std::string first = NewBuildCgroupName("8c2610ca812f");
  EXPECT_THAT(first, StartsWith("stackyard-build-8c2610ca812f-"));
  EXPECT_EQ(first.size(), std::string("stackyard-build-8c2610ca812f-").size() + 16);
  EXPECT_NE(first, NewBuildCgroupName("8c2610ca812f"));
}

TEST(BuildCgroupTest, TellsItsOwnNames) {
  EXPECT_TRUE(IsBuildCgroupName(NewBuildCgroupName("8c2610ca812f"), "8c2610ca812f"));
  EXPECT_TRUE(IsBuildCgroupName("stackyard-build-i-0123456789abcdef", "i"));
  EXPECT_FALSE(IsBuildCgroupName("stackyard-build-i-0123456789abcdef", "j"));
  // Another installation whose id starts with this one's.
  EXPECT_FALSE(IsBuildCgroupName("stackyard-build-i-x-0123456789abcdef", "i"));
  EXPECT_FALSE(IsBuildCgroupName("stackyard-build-i-0123456789abcde", "i"));
  EXPECT_FALSE(IsBuildCgroupName("stackyard-build-i-0123456789abcdeF", "i"));
  EXPECT_FALSE(IsBuildCgroupName("buildah-buildah3374918297", "i"));
}

TEST(BuildCgroupTest, KillingACgroupWithoutProcessesKillsNothing) {
  auto killed =
      KillCgroup(NewBuildCgroupName("test"), std::chrono::milliseconds(0), std::chrono::seconds(5));
  if (!killed) {
    // No cgroup file system in this sandbox.
    EXPECT_EQ(killed.error().code, ErrorCode::kFailedPrecondition) << killed.error().message;
    EXPECT_THAT(killed.error().message, HasSubstr("cgroup"));
    return;
  }
  EXPECT_EQ(*killed, 0);
}

TEST(BuildCgroupTest, NoLeftoverBuildsOfAnUnknownInstallation) {
  auto killed = StopLeftoverBuilds(NewBuildCgroupName("none"));
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_EQ(*killed, 0);
}

}  // namespace
}  // namespace yard::runtime
