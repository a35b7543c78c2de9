// The edge end to end: real Caddy in front of deployments on the real Podman engine. HTTPS to
// generated hostnames with the internal CA, the HTTP redirect, WebSockets, forwarding headers,
// zero-downtime rollouts (and their rollback), a Caddy killed and brought back, and a custom
// domain certified by a real ACME server (Pebble on loopback).

#include <fstream>

#include "edge_site_fixture.h"
#include "testing/temp_dir.h"

namespace yard {
namespace {

class EdgeTest : public EdgeSiteTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--drain", "1", "--proxy-timeout", "2", "--max-body", "1"};
  }

  // curl through the edge to https://HOST/PATH with `args`; the HTTP status, or 0.
  int CurlStatus(const std::string& host, const std::string& path,
                 std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
        "--cacert", server_->ca_path(), "--resolve",
        fmt::format("{}:{}:127.0.0.1", host, server_->https_port())};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(fmt::format("https://{}:{}{}", host, server_->https_port(), path));
    ProcessResult result = RunTool(argv);
    return std::atoi(result.stdout_data.c_str());
  }
};

TEST_F(EdgeTest, HttpsReachesTheComponentWithRedirectWebSocketsAndHeaders) {
  Json d = Yard({"deployments", "create", "site/a", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::string host = AppHost(d);
  ASSERT_EQ(host, "app-a-site.localhost") << d.dump(2);
  EXPECT_EQ(d["endpoints"][0]["url"],
            fmt::format("https://app-a-site.localhost:{}", server_->https_port()));

  // HTTPS with the internal CA's root, which the server exports as DATA_DIR/ca.pem.
  EXPECT_EQ(BodyWith(Target(host), "/", "version 1"), "version 1\n");
  ASSERT_TRUE(fs::Exists(server_->ca_path()));

  // What the component learns about the original request.
  auto headers = HttpsGet(Target(host), "/headers");
  ASSERT_TRUE(headers) << headers.error().message;
  EXPECT_NE(headers->body.find("x-forwarded-proto: https"), std::string::npos) << headers->body;
  EXPECT_NE(headers->body.find("x-forwarded-for: 127.0.0.1"), std::string::npos) << headers->body;
  EXPECT_NE(headers->body.find("x-forwarded-host: " + host), std::string::npos) << headers->body;

  // A WebSocket passes the edge both ways.
  auto echoed = testing::WebSocketRoundTrip(Target(host), "/socket", "hot reload");
  ASSERT_TRUE(echoed) << echoed.error().message;
  EXPECT_EQ(*echoed, "echo: hot reload");

  // Plain HTTP redirects to HTTPS, keeping the host, the port and the path.
  auto redirect = http::Client(MUST(http::Endpoint::Parse(
                                   fmt::format("http://127.0.0.1:{}", server_->http_port()))))
                      .Send({.method = "GET", .target = "/some/page?x=1",
                             .headers = {{"Host", host}}},
                            10s);
  ASSERT_TRUE(redirect) << redirect.error().message;
  EXPECT_EQ(redirect->status, 308);
  std::string location;
  for (const auto& [name, value] : redirect->headers) {
    if (name == "location" || name == "Location") location = value;
  }
  EXPECT_EQ(location, fmt::format("https://{}:{}/some/page?x=1", host, server_->https_port()));

  // An unknown name under the domain never reaches a deployment: no certificate is made for
  // it (the handshake fails), and without TLS checks the answer is a 404.
  auto unknown = HttpsGet(Target("nothing-here.localhost"), "/");
  if (unknown) {
    EXPECT_EQ(unknown->status, 404);
  }

  // A component too slow to answer: 504 after --proxy-timeout, not a hung client.
  EXPECT_EQ(CurlStatus(host, "/slow"), 504);
  // A body over --max-body: 413, without reaching the component.
  std::string big = fs::Join(sources_.path(), "big.bin");
  ASSERT_TRUE(fs::AtomicWriteFile(big, std::string(2 << 20, 'x')));
  EXPECT_EQ(CurlStatus(host, "/", {"-X", "POST", "--data-binary", "@" + big}), 413);

  // A stream is passed on as it comes, not held back until it ends (hot reload, logs).
  ProcessResult stream = RunTool(
      {"curl", "-sS", "-N", "--max-time", "5", "--cacert", server_->ca_path(), "--resolve",
       fmt::format("{}:{}:127.0.0.1", host, server_->https_port()),
       fmt::format("https://{}:{}/stream", host, server_->https_port())});
  EXPECT_EQ(stream.stdout_data, "first part\n") << stream.stderr_data;

  // HTTP/2 is offered to clients that speak it.
  ProcessResult h2 = RunTool({"curl", "-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version}",
                              "--cacert", server_->ca_path(), "--resolve",
                              fmt::format("{}:{}:127.0.0.1", host, server_->https_port()),
                              fmt::format("https://{}:{}/", host, server_->https_port())});
  EXPECT_EQ(h2.stdout_data, "2") << h2.stderr_data;

  // The certificate shows in the status.
  d = Yard({"deployments", "show", "site/a"});
  const Json& certificate = d["endpoints"][0]["hosts"][0]["certificate"];
  EXPECT_EQ(certificate["state"], "valid") << d.dump(2);
  EXPECT_EQ(certificate["issuer"], "internal");
  EXPECT_TRUE(certificate["expires_at"].is_string());
}

TEST_F(EdgeTest, BrokenDeploymentDoesNotDisturbAnother) {
  Json a = Yard({"deployments", "create", "site/a", "--stage", "production", "--wait"});
  ASSERT_EQ(a["status"]["colour"], "green") << a.dump(2);

  // A branch whose server exits at once: its deployment crash-loops.
  git::testing::Git(source_, {"checkout", "-q", "-b", "broken"});
  git::testing::WriteFile(source_, "web/Dockerfile",
                          "FROM docker.io/library/debian:bookworm-slim\n"
                          "CMD [\"perl\", \"-e\", \"exit 3\"]\n");
  git::testing::CommitAll(source_, "broken", 1'700'000'050);
  git::testing::Git(source_, {"checkout", "-q", "main"});
  Yard({"projects", "refresh", "site"});
  Yard({"deployments", "create", "site/b", "--stage", "production", "--branch", "broken"});
  auto deadline = std::chrono::steady_clock::now() + 5min;
  Json b;
  while (std::chrono::steady_clock::now() < deadline) {
    b = Yard({"deployments", "show", "site/b"});
    if (b["status"]["colour"] == "red") break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_EQ(b["status"]["colour"], "red") << b.dump(2);

  // Its hostname answers an error of its own; the first deployment is untouched.
  auto broken = HttpsGet(Target(AppHost(b)), "/");
  ASSERT_TRUE(broken) << broken.error().message;
  EXPECT_GE(broken->status, 500);
  for (int i = 0; i < 20; ++i) {
    auto response = HttpsGet(Target(AppHost(a)), "/");
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "version 1\n");
  }
}

// The rollout test asks that no request fails, not that every one is fast: the machine also
// builds the next version and runs other tests, and a 2 s proxy timeout would turn a busy
// moment into a 504. A request sent to a retired container still fails, at once (refused)
// or after the timeout.
class EdgeRolloutTest : public EdgeSiteTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--drain", "1", "--proxy-timeout", "30"};
  }
};

// A push of a new commit to the followed branch: built and rolled out with no failed request;
// then a version that fails its health check is rolled back while the previous one serves.
TEST_F(EdgeRolloutTest, RolloutDropsNoRequestAndAFailedOneRollsBack) {
  Json d = Yard({"deployments", "create", "site/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  HttpsTarget target = Target(AppHost(d));
  ASSERT_EQ(BodyWith(target, "/", "version 1"), "version 1\n");
  RequestLoop loop(target);

  // Version 2 is pushed: the client sees it, and never an error.
  ShipDockerfile(Dockerfile("2", true), 1'700'000'100);
  d = Yard({"deployments", "show", "site/prod", "--wait"});
  EXPECT_EQ(d["status"]["colour"], "green") << d.dump(2);
  EXPECT_TRUE(loop.WaitForMore("version 2\n", 20));
  EXPECT_GT(loop.Seen("version 1\n"), 0);
  EXPECT_EQ(ContainersOf("web").size(), 1u) << "the previous version was retired";

  // Version 3 fails its health check: rolled back, version 2 serves throughout.
  ShipDockerfile(Dockerfile("3", false), 1'700'000'200);
  auto deadline = std::chrono::steady_clock::now() + 5min;
  while (std::chrono::steady_clock::now() < deadline) {
    d = Yard({"deployments", "show", "site/prod"});
    if (!d["status"]["rolled_back"].empty()) break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_FALSE(d["status"]["rolled_back"].empty()) << d.dump(2);
  EXPECT_NE(d["status"]["rolled_back"][0].get<std::string>().find("health check"),
            std::string::npos);
  ProcessResult waited = RunYardFor(60s, AsAdmin({"deployments", "show", "site/prod", "--wait"}));
  EXPECT_NE(waited.exit_code, 0) << "--wait reports the rollback";
  EXPECT_NE(waited.stderr_data.find("rolled back"), std::string::npos) << waited.stderr_data;
  EXPECT_TRUE(loop.WaitForMore("version 2\n", 20));
  EXPECT_EQ(ContainersOf("web").size(), 1u);

  loop.Stop();
  EXPECT_TRUE(loop.failures().empty()) << EdgeLogs() << loop.Report();
  EXPECT_EQ(loop.Seen("version 3\n"), 0) << "the failing version never got traffic";
  EXPECT_GT(loop.sent(), 100);
}

TEST_F(EdgeTest, KilledCaddyIsRestartedAndRoutesComeBack) {
  Json d = Yard({"deployments", "create", "site/a", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  HttpsTarget target = Target(AppHost(d));
  ASSERT_EQ(BodyWith(target, "/", "version 1"), "version 1\n");

  // Caddy is the process whose command line names this data dir's edge config.
  std::string config = server_->data_dir() + "/edge/caddy.json";
  pid_t caddy = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(file)), {});
    if (cmdline.find("caddy") != std::string::npos && cmdline.find(config) != std::string::npos) {
      caddy = std::atoi(entry.path().filename().c_str());
    }
  }
  ASSERT_GT(caddy, 0) << "no Caddy runs with " << config;
  ASSERT_EQ(::kill(caddy, SIGKILL), 0);

  EXPECT_EQ(BodyWith(target, "/", "version 1"), "version 1\n");
  EXPECT_TRUE(server_->Running());
}

// Pebble, the ACME test server, on loopback: it certifies any name without validating it
// (PEBBLE_VA_ALWAYS_VALID), which is what a test without DNS needs.
class Pebble {
 public:
  Result<void> Start() {
    key_ = dir_.File("pebble.key");
    cert_ = dir_.File("pebble.crt");
    TRY(RunChecked({.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                             "-keyout", key_, "-out", cert_, "-days", "2", "-subj",
                             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                    .timeout = 60s}));
    port_ = TRY(testing::FreePort());
    management_port_ = TRY(testing::FreePort());
    Json config = {{"pebble",
                    {{"listenAddress", fmt::format("127.0.0.1:{}", port_)},
                     {"managementListenAddress", fmt::format("127.0.0.1:{}", management_port_)},
                     {"certificate", cert_},
                     {"privateKey", key_},
                     {"httpPort", 5002},
                     {"tlsPort", 5001},
                     {"ocspResponderURL", ""},
                     {"externalAccountBindingRequired", false}}}};
    TRY(fs::AtomicWriteFile(dir_.File("pebble.json"), config.dump()));
    Subprocess::Spawn spawn;
    spawn.options.argv = {"pebble", "-config", dir_.File("pebble.json")};
    spawn.options.env = {{"PEBBLE_VA_ALWAYS_VALID", "1"}, {"PEBBLE_VA_NOSLEEP", "1"},
                         {"PEBBLE_WFE_NONCEREJECT", "0"}};
    spawn.options.die_with_parent = true;
    spawn.stdout_path = dir_.File("pebble.log");
    spawn.stderr_path = dir_.File("pebble.log");
    process_.emplace(TRY(Subprocess::Start(spawn)));
    // Ready once the management interface hands out the issuing root.
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto root = RunProcess({.argv = {"curl", "-sf", "--cacert", cert_,
                                       fmt::format("https://127.0.0.1:{}/roots/0",
                                                   management_port_)},
                              .timeout = 10s});
      if (root && root->exit_code == 0 && !root->stdout_data.empty()) {
        TRY(fs::AtomicWriteFile(dir_.File("issuer.pem"), root->stdout_data));
        return {};
      }
      std::this_thread::sleep_for(200ms);
    }
    return Unexpected(ErrorCode::kTimeout, "pebble did not start: " + MUST(fs::ReadFile(dir_.File("pebble.log"))));
  }
  ~Pebble() {
    if (process_) process_->Terminate(5s);
  }
  std::string directory() const { return fmt::format("https://127.0.0.1:{}/dir", port_); }
  const std::string& tls_root() const { return cert_; }
  std::string issuer_root() const { return dir_.File("issuer.pem"); }

 private:
  testing::TempDir dir_;
  std::string key_, cert_;
  int port_ = 0, management_port_ = 0;
  std::optional<Subprocess> process_;
};

class EdgeAcmeTest : public EdgeTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--acme-directory", pebble_.directory(), "--acme-ca-root", pebble_.tls_root()};
  }
  void SetUp() override {
    auto started = pebble_.Start();
    ASSERT_TRUE(started) << started.error().message;
    EdgeTest::SetUp();
  }
  Pebble pebble_;
};

TEST_F(EdgeAcmeTest, CustomDomainGetsACertificateFromAcme) {
  Json d = Yard({"deployments", "create", "site/shop", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);

  Yard({"domains", "add", "site/shop", "shop.example.com"});
  Json listed = Yard({"domains", "list", "site/shop"});
  ASSERT_EQ(listed["domains"].size(), 1u) << listed.dump(2);
  EXPECT_EQ(listed["domains"][0]["hostname"], "shop.example.com");

  // Served with a certificate Pebble issued.
  HttpsTarget target{.host = "shop.example.com",
                     .port = server_->https_port(),
                     .ca_file = pebble_.issuer_root()};
  EXPECT_EQ(BodyWith(target, "/", "version 1", 120s), "version 1\n");
  auto deadline = std::chrono::steady_clock::now() + 60s;
  Json host;
  while (std::chrono::steady_clock::now() < deadline) {
    d = Yard({"deployments", "show", "site/shop"});
    for (const Json& h : d["endpoints"][0]["hosts"]) {
      if (h["name"] == "shop.example.com") host = h;
    }
    if (host.is_object() && host["certificate"]["state"] == "valid") break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(host.is_object()) << d.dump(2);
  EXPECT_EQ(host["custom"], true);
  EXPECT_EQ(host["certificate"]["state"], "valid") << d.dump(2);
  EXPECT_NE(host["certificate"]["issuer"].get<std::string>().find("127.0.0.1"), std::string::npos);

  // The same name cannot go to another deployment; a bad one is refused; removal works.
  ProcessResult taken = RunYardFor(30s, AsAdmin({"domains", "add", "site/shop", "shop.example.com"}));
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_NE(taken.stderr_data.find("already"), std::string::npos) << taken.stderr_data;
  ProcessResult invalid = RunYardFor(30s, AsAdmin({"domains", "add", "site/shop", "not a name"}));
  EXPECT_NE(invalid.exit_code, 0);
  Yard({"domains", "remove", "site/shop", "shop.example.com"});
  EXPECT_TRUE(Yard({"domains", "list", "site/shop"})["domains"].empty());
}

}  // namespace
}  // namespace yard
