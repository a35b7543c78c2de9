#include "edge/edge.h"

#include <gtest/gtest.h>

#include <fmt/core.h>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::edge {
namespace {

// Records what it is given; refuses any config that routes to `bad_upstream`.
class FakeProxy final : public Proxy {
 public:
  explicit FakeProxy(std::string storage) : storage_(std::move(storage)) {}
  Status Load(const nlohmann::json& config) override {
    if (down) return Unexpected(ErrorCode::kUnavailable, "caddy is restarting");
    if (config.dump().find(bad_upstream) != std::string::npos) {
      return Unexpected(ErrorCode::kInvalidArgument, "loading config: bad upstream");
    }
    ++loads;
    loaded = config;
    return Ok();
  }
  std::string storage_dir() const override { return storage_; }
  std::string admin_socket() const override { return storage_ + "/admin.sock"; }
  std::optional<std::string> CertificateError(const std::string& host) const override {
    if (host == "failing.example.com") return "challenge failed";
    return std::nullopt;
  }

  std::string bad_upstream = "127.0.0.1:6666";
  bool down = false;
  int loads = 0;
  nlohmann::json loaded;
  std::string storage_;
};

class EdgeTableTest : public ::testing::Test {
 protected:
  std::unique_ptr<Edge> Make() {
    auto proxy = std::make_unique<FakeProxy>(dir_.File("storage"));
    proxy_ = proxy.get();
    return std::make_unique<Edge>(
        EdgeOptions{.dir = dir_.path(), .ca_export = dir_.File("ca.pem")}, std::move(proxy));
  }
  static EdgeRoute Route(const std::string& id, const std::string& host,
                         const std::string& upstream) {
    return {.id = id, .hosts = {host}, .upstreams = {upstream}};
  }
  std::string Loaded() const { return proxy_->loaded.dump(); }

  testing::TempDir dir_;
  FakeProxy* proxy_ = nullptr;
};

TEST_F(EdgeTableTest, PushesEveryDeploymentsRoutesAndSkipsNoChange) {
  auto edge = Make();
  ASSERT_TRUE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4001")}));
  ASSERT_TRUE(edge->SetRoutes(2, {Route("d2-app", "app-b-p.localhost", "127.0.0.1:4002")}));
  EXPECT_EQ(proxy_->loads, 2);
  EXPECT_NE(Loaded().find("127.0.0.1:4001"), std::string::npos);
  EXPECT_NE(Loaded().find("127.0.0.1:4002"), std::string::npos);
  ASSERT_TRUE(edge->SetRoutes(2, {Route("d2-app", "app-b-p.localhost", "127.0.0.1:4002")}));
  EXPECT_EQ(proxy_->loads, 2) << "the same routes again: nothing to push";
}

TEST_F(EdgeTableTest, ARefusedChangeIsThatDeploymentsErrorAndHurtsNoOther) {
  auto edge = Make();
  ASSERT_TRUE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4001")}));
  Status refused = edge->SetRoutes(2, {Route("d2-app", "app-b-p.localhost", "127.0.0.1:6666")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(edge->RoutesOf(2).empty());
  // The next change of another deployment does not carry the refused routes along.
  ASSERT_TRUE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4011")}));
  EXPECT_NE(Loaded().find("127.0.0.1:4011"), std::string::npos);
  EXPECT_EQ(Loaded().find("6666"), std::string::npos);
}

TEST_F(EdgeTableTest, AnUnavailableProxyIsRetriedByTheNextCall) {
  auto edge = Make();
  proxy_->down = true;
  EXPECT_FALSE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4001")}));
  proxy_->down = false;
  ASSERT_TRUE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4001")}));
  EXPECT_NE(Loaded().find("127.0.0.1:4001"), std::string::npos);
}

TEST_F(EdgeTableTest, TheTableOutlivesARestartAndRetainDropsDeletedDeployments) {
  {
    auto edge = Make();
    ASSERT_TRUE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4001")}));
    ASSERT_TRUE(edge->SetRoutes(2, {Route("d2-app", "app-b-p.localhost", "127.0.0.1:4002")}));
  }
  auto edge = Make();
  edge->Restore();
  EXPECT_EQ(proxy_->loads, 1);
  EXPECT_NE(Loaded().find("127.0.0.1:4002"), std::string::npos);
  edge->Retain({1});
  EXPECT_EQ(Loaded().find("127.0.0.1:4002"), std::string::npos);
  EXPECT_NE(Loaded().find("127.0.0.1:4001"), std::string::npos);
  EXPECT_EQ(edge->RoutesOf(2).size(), 0u);
}

TEST_F(EdgeTableTest, WithDnsUpstreamsASwitchOfContainersReloadsNothing) {
  UpstreamDns dns;
  ASSERT_TRUE(dns.Start());
  auto proxy = std::make_unique<FakeProxy>(dir_.File("storage"));
  proxy_ = proxy.get();
  Edge edge(EdgeOptions{.dir = dir_.path(), .dns = &dns}, std::move(proxy));
  EdgeRoute route{.id = "d1-app", .hosts = {"app-a-p.localhost"},
                  .upstreams = {"10.89.0.2:8000"}, .port = 8000};
  ASSERT_TRUE(edge.SetRoutes(1, {route}));
  EXPECT_EQ(proxy_->loads, 1);
  EXPECT_NE(Loaded().find(fmt::format("udp/127.0.0.1:{}", dns.port())), std::string::npos);
  EXPECT_EQ(Loaded().find("10.89.0.2"), std::string::npos) << "addresses are DNS's, not config";

  // Another container, none, the first again: table changes only.
  route.upstreams = {"10.89.0.3:8000"};
  ASSERT_TRUE(edge.SetRoutes(1, {route}));
  route.upstreams.clear();
  ASSERT_TRUE(edge.SetRoutes(1, {route}));
  EXPECT_EQ(proxy_->loads, 1);
  EXPECT_EQ(edge.RoutesOf(1).at(0).upstreams.size(), 0u);

  // A new host is a config change.
  route.hosts.push_back("shop.example.com");
  ASSERT_TRUE(edge.SetRoutes(1, {route}));
  EXPECT_EQ(proxy_->loads, 2);
}

TEST_F(EdgeTableTest, CertificatesAndTheExportedRoot) {
  auto edge = Make();
  EXPECT_EQ(edge->Certificate("app-a-p.localhost").state, "pending");
  HostCertificate failing = edge->Certificate("failing.example.com");
  EXPECT_EQ(failing.state, "error");
  EXPECT_EQ(failing.error, "challenge failed");
  // The internal CA's root is copied to ca.pem once it exists.
  std::string root = InternalCaRoot(dir_.File("storage"));
  ASSERT_TRUE(fs::CreateDirectories(root.substr(0, root.rfind('/'))));
  ASSERT_TRUE(fs::AtomicWriteFile(root, "-----BEGIN CERTIFICATE-----\n"));
  ASSERT_TRUE(edge->SetRoutes(1, {Route("d1-app", "app-a-p.localhost", "127.0.0.1:4001")}));
  EXPECT_EQ(MUST(fs::ReadFile(dir_.File("ca.pem"))), "-----BEGIN CERTIFICATE-----\n");
}

}  // namespace
}  // namespace yard::edge
