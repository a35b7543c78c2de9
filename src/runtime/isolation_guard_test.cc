#include "runtime/isolation_guard.h"

#include <gtest/gtest.h>

namespace yard::runtime {
namespace {

constexpr std::string_view kGuard =
    "-A FORWARD -m comment --comment \"stackyard: keep netavark network isolation\" -j "
    "NETAVARK_ISOLATION_1\n";
constexpr std::string_view kNetavark =
    "-A FORWARD -m comment --comment \"netavark firewall plugin rules\" -j NETAVARK_FORWARD\n";

TEST(IsolationGuardTest, AGuardBeforeNetavarksAcceptsIsInPlace) {
  GuardPlace place = FindIsolationGuard("-P FORWARD ACCEPT\n-A FORWARD -j NETAVARK_ISOLATION_1\n" +
                                        std::string(kGuard) + std::string(kNetavark));
  EXPECT_TRUE(place.guarded);
  EXPECT_FALSE(place.misplaced);
  EXPECT_TRUE(place.netavark_forward);
}

// What a fresh machine had: the guard was added before the first network was set up, and
// netavark then put its jump at the top.
TEST(IsolationGuardTest, AGuardBehindNetavarksAcceptsIsMisplaced) {
  GuardPlace place = FindIsolationGuard("-P FORWARD ACCEPT\n" + std::string(kNetavark) +
                                        std::string(kGuard));
  EXPECT_FALSE(place.guarded);
  EXPECT_TRUE(place.misplaced);
}

TEST(IsolationGuardTest, NetavarksOwnIsolationJumpIsNotTheGuard) {
  GuardPlace place = FindIsolationGuard("-P FORWARD ACCEPT\n-A FORWARD -j NETAVARK_ISOLATION_1\n" +
                                        std::string(kNetavark));
  EXPECT_FALSE(place.guarded);
  EXPECT_FALSE(place.misplaced);
  EXPECT_TRUE(place.netavark_forward);
}

TEST(IsolationGuardTest, AnEmptyChainHasNeither) {
  GuardPlace place = FindIsolationGuard("-P FORWARD ACCEPT\n");
  EXPECT_FALSE(place.guarded || place.misplaced || place.netavark_forward);
  EXPECT_TRUE(FindIsolationGuard(kGuard.substr(0, kGuard.size() - 1)).guarded)
      << "without a final newline too";
  // Other chains' rules and longer chain names do not count.
  place = FindIsolationGuard("-A OTHER -j NETAVARK_FORWARD\n-A FORWARD -j NETAVARK_FORWARD_X\n" +
                             std::string(kGuard));
  EXPECT_TRUE(place.guarded);
  EXPECT_FALSE(place.netavark_forward);
}

}  // namespace
}  // namespace yard::runtime
