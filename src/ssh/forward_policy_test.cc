#include "ssh/forward_policy.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

namespace yard::ssh {
namespace {

Located Shop() {
  return Located{.service = "web",
                 .container_id = "c0ffee",
                 .service_ips = {{"web", "10.89.0.2"}, {"db", "10.89.0.3"}},
                 .services = {"web", "worker", "db"}};
}

std::string RefusalOf(const ForwardTarget& target) {
  const auto* refusal = std::get_if<ForwardRefusal>(&target);
  return refusal ? refusal->text : "(not refused)";
}

TEST(ForwardPolicyTest, LoopbackNamesReachTheSessionContainersOwnLoopback) {
  Located shop = Shop();
  EXPECT_EQ(DecideForward("localhost", 7000, shop),
            ForwardTarget(LocalPortForward{"127.0.0.1", 7000}));
  EXPECT_EQ(DecideForward("LocalHost.", 7000, shop),
            ForwardTarget(LocalPortForward{"127.0.0.1", 7000}));
  EXPECT_EQ(DecideForward("127.0.0.1", 1, shop), ForwardTarget(LocalPortForward{"127.0.0.1", 1}));
  EXPECT_EQ(DecideForward("::1", 65535, shop), ForwardTarget(LocalPortForward{"::1", 65535}));
  EXPECT_EQ(DecideForward("[::1]", 8080, shop), ForwardTarget(LocalPortForward{"::1", 8080}));
}

TEST(ForwardPolicyTest, ServicesOfTheDeploymentByIdGoToTheirContainersIp) {
  Located shop = Shop();
  EXPECT_EQ(DecideForward("db", 5432, shop),
            ForwardTarget(ServiceForward{"db", "10.89.0.3", 5432}));
  EXPECT_EQ(DecideForward("DB.", 5432, shop),
            ForwardTarget(ServiceForward{"db", "10.89.0.3", 5432}));
  // The session's own service by name too: its address on the deployment's network.
  EXPECT_EQ(DecideForward("web", 8000, shop),
            ForwardTarget(ServiceForward{"web", "10.89.0.2", 8000}));
}

TEST(ForwardPolicyTest, AServiceWithoutARunningContainerIsRefusedSaySo) {
  EXPECT_EQ(RefusalOf(DecideForward("worker", 9000, Shop())),
            "the service 'worker' has no running container");
}

TEST(ForwardPolicyTest, EverythingElseIsRefusedWithWhatIsAllowed) {
  Located shop = Shop();
  EXPECT_EQ(RefusalOf(DecideForward("1.1.1.1", 53, shop)),
            "'1.1.1.1' is an IP address: forwards go to the container's localhost or to a "
            "service of the deployment by name (localhost, web, worker, db)");
  EXPECT_EQ(RefusalOf(DecideForward("example.com", 443, shop)),
            "'example.com' is not a service of this deployment: forwards go to the container's "
            "localhost or to a service by name (localhost, web, worker, db)");
  for (const char* host : {"10.89.0.3", "127.0.0.2", "0.0.0.0", "::", "fe80::1", "[10.0.0.1]",
                           "::ffff:127.0.0.1", "db.dev.shop", "web.prod.shop", "", ".", "db..",
                           "host.containers.internal", "stackyard", "localhost.localdomain"}) {
    EXPECT_TRUE(std::holds_alternative<ForwardRefusal>(DecideForward(host, 80, shop))) << host;
  }
  std::string hostile = std::string(300, 'a') + "\x1b[2J";
  std::string refusal = RefusalOf(DecideForward(hostile, 80, shop));
  EXPECT_LT(refusal.size(), 200u);
  EXPECT_EQ(refusal.find('\x1b'), std::string::npos);
  EXPECT_EQ(RefusalOf(DecideForward("db\x1b", 80, shop)).find('\x1b'), std::string::npos);
}

TEST(ForwardPolicyTest, PortsOutOfRangeAreRefused) {
  Located shop = Shop();
  for (int port : {0, -1, 65536, 1 << 30}) {
    EXPECT_EQ(RefusalOf(DecideForward("localhost", port, shop)),
              fmt::format("port {} is not a TCP port (1-65535)", port));
  }
}

}  // namespace
}  // namespace yard::ssh
