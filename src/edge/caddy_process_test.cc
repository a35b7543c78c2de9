#include "edge/caddy_process.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "edge/caddy_config.h"
#include "edge/certificates.h"
#include "testing/temp_dir.h"

namespace yard::edge {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kGreeting = "hello from upstream";

// A port nothing listens on right now (TCP and UDP: Caddy serves HTTP/3 on the HTTPS port).
int FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t size = sizeof(address);
    bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    getsockname(tcp, reinterpret_cast<sockaddr*>(&address), &size);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool udp_free = bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(udp);
    close(tcp);
    if (udp_free) return ntohs(address.sin_port);
  }
  return 0;
}

// Waits for `condition` with a generous bound: shared machines are slow, and no test asserts
// how long anything takes.
bool Eventually(const std::function<bool()>& condition, std::chrono::seconds bound = 90s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

// A tiny HTTP upstream on 127.0.0.1: answers every request with kGreeting.
class Upstream {
 public:
  Upstream() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { Serve(stop); });
  }
  ~Upstream() {
    thread_.request_stop();
    thread_.join();
    close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void Serve(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      pollfd ready{fd_, POLLIN, 0};
      if (poll(&ready, 1, 100) <= 0) continue;
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      timeval timeout{.tv_sec = 5, .tv_usec = 0};
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(client, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                             std::to_string(std::string_view(kGreeting).size()) +
                             "\r\nConnection: close\r\n\r\n" + kGreeting;
      (void)send(client, response.data(), response.size(), MSG_NOSIGNAL);
      close(client);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::jthread thread_;
};

class CaddyProcessTest : public ::testing::Test {
 protected:
  CaddyOptions Options() const {
    CaddyOptions options;
    options.dir = dir_.File("edge");
    options.min_backoff = 100ms;
    options.max_backoff = 1s;
    options.start_timeout = 60s;
    options.die_with_parent = true;  // a test binary that aborts takes Caddy with it
    return options;
  }

  EdgeSettings Settings(const CaddyProcess& caddy) const {
    EdgeSettings settings;
    settings.admin_socket = caddy.admin_socket();
    settings.storage_dir = caddy.storage_dir();
    settings.http_port = http_port_;
    settings.https_port = https_port_;
    return settings;
  }

  Json AppConfig(const CaddyProcess& caddy) const {
    return CaddyConfig(
        Settings(caddy),
        {{.id = "d1-app", .hosts = {"app.localhost"}, .upstreams = {upstream_.address()}}});
  }

  // `curl https://HOST:PORT/` through Caddy, trusting only its internal CA.
  std::string Fetch(const CaddyProcess& caddy, const std::string& host = "app.localhost") const {
    std::string port = std::to_string(https_port_);
    ProcessOptions options;
    options.argv = {"curl",
                    "-sS",
                    "--max-time",
                    "10",
                    "--cacert",
                    InternalCaRoot(caddy.storage_dir()),
                    "--resolve",
                    host + ":" + port + ":127.0.0.1",
                    "https://" + host + ":" + port + "/"};
    options.timeout = 30s;
    auto result = RunProcess(options);
    if (!result) return "curl: " + result.error().message;
    return result->Succeeded() ? result->stdout_data : result->stderr_data;
  }

  bool Answers(const CaddyProcess& caddy) const { return Fetch(caddy) == kGreeting; }

  yard::testing::TempDir dir_;
  Upstream upstream_;
  int http_port_ = FreePort();
  int https_port_ = FreePort();
};

TEST_F(CaddyProcessTest, ServesLoadedRoutesAndKeepsThemWhenAConfigIsRefused) {
  CaddyProcess caddy(Options());
  ASSERT_TRUE(caddy.Start()) << fs::ReadFile(caddy.log_path()).value_or("");
  EXPECT_GT(caddy.pid(), 0);
  EXPECT_EQ(Json::parse(*fs::ReadFile(caddy.config_path()))["admin"]["listen"],
            "unix/" + caddy.admin_socket())
      << "the minimal config before any Load";

  Json good = AppConfig(caddy);
  ASSERT_TRUE(caddy.Load(good));
  EXPECT_TRUE(Eventually([&] { return Answers(caddy); })) << Fetch(caddy);
  EXPECT_EQ(Json::parse(*fs::ReadFile(caddy.config_path())), good);

  Json bad = good;
  bad["apps"]["http"]["servers"]["https"]["routes"][0]["handle"][1]["handler"] = "nonexistent";
  Status refused = caddy.Load(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("http.handlers.nonexistent"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(Fetch(caddy), kGreeting) << "the old routes still answer";
  EXPECT_EQ(Json::parse(*fs::ReadFile(caddy.config_path())), good) << "the good one stays saved";

  // The internal CA's certificate for the host, as the request above was served with.
  int64_t now = std::time(nullptr);
  CertificateInfo cert = ReadCertificate(caddy.storage_dir(), "app.localhost", now);
  EXPECT_EQ(cert.state, CertificateInfo::State::kValid);
  EXPECT_EQ(cert.issuer, "internal");
  EXPECT_GT(cert.not_after, now);
  EXPECT_EQ(cert.path, caddy.storage_dir() + "/certificates/local/app.localhost/app.localhost.crt");
  EXPECT_EQ(ReadCertificate(caddy.storage_dir(), "nobody.localhost", now).state,
            CertificateInfo::State::kNone);
  EXPECT_EQ(caddy.CertificateError("app.localhost"), std::nullopt);
  caddy.Stop();
  EXPECT_EQ(caddy.pid(), -1);
  EXPECT_FALSE(fs::Exists(caddy.pid_path()));
}

TEST_F(CaddyProcessTest, RefusesConfigsThatMoveTheAdminApiOrStorage) {
  CaddyProcess caddy(Options());
  Json config = AppConfig(caddy);
  EXPECT_EQ(caddy.Load(config).error().code, ErrorCode::kFailedPrecondition) << "not started";
  ASSERT_TRUE(caddy.Start());
  Json moved = config;
  moved["admin"]["listen"] = "localhost:2019";
  Status refused = caddy.Load(moved);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  moved = config;
  moved["storage"]["root"] = dir_.File("elsewhere");
  EXPECT_EQ(caddy.Load(moved).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(caddy.Load(Json::array()).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(caddy.Load(config));
}

TEST_F(CaddyProcessTest, RestartsCaddyKilledWithItsRoutes) {
  CaddyProcess caddy(Options());
  ASSERT_TRUE(caddy.Start());
  ASSERT_TRUE(caddy.Load(AppConfig(caddy)));
  ASSERT_TRUE(Eventually([&] { return Answers(caddy); })) << Fetch(caddy);

  pid_t first = caddy.pid();
  ASSERT_GT(first, 0);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  EXPECT_TRUE(Eventually([&] {
    pid_t now = caddy.pid();
    return caddy.restarts() >= 1 && now > 0 && now != first;
  }));
  EXPECT_TRUE(Eventually([&] { return Answers(caddy); })) << Fetch(caddy);
  // Loads work again once the new Caddy answers (kUnavailable while it starts: retry).
  Status loaded;
  EXPECT_TRUE(Eventually([&] {
    loaded = caddy.Load(AppConfig(caddy));
    return loaded.has_value();
  })) << loaded.error().message;
}

TEST_F(CaddyProcessTest, EndsTheCaddyAKilledServerLeftAndResumesItsConfig) {
  std::string edge_dir = Options().dir;
  {
    CaddyProcess first(Options());
    ASSERT_TRUE(first.Start());
    ASSERT_TRUE(first.Load(AppConfig(first)));
  }
  // What a killed server leaves: a Caddy on the saved config, its pid in caddy.pid.
  Subprocess::Spawn spawn;
  spawn.options.argv = {"caddy", "run", "--config", edge_dir + "/caddy.json"};
  spawn.options.env = {{"HOME", edge_dir + "/home"},
                       {"XDG_DATA_HOME", edge_dir + "/home/data"},
                       {"XDG_CONFIG_HOME", edge_dir + "/home/config"}};
  spawn.options.die_with_parent = true;
  spawn.stderr_path = edge_dir + "/leftover.log";
  auto leftover = Subprocess::Start(spawn);
  ASSERT_TRUE(leftover) << leftover.error().message;
  ASSERT_TRUE(fs::AtomicWriteFile(edge_dir + "/caddy.pid", std::to_string(leftover->pid())));

  CaddyProcess second(Options());
  ASSERT_TRUE(Eventually([&] { return Answers(second); })) << "the leftover serves the routes";
  ASSERT_TRUE(second.Start()) << fs::ReadFile(edge_dir + "/leftover.log").value_or("");
  auto ended = leftover->Wait(30s);
  EXPECT_TRUE(ended) << "Start ended the leftover";
  EXPECT_NE(second.pid(), leftover->pid());
  EXPECT_TRUE(Eventually([&] { return Answers(second); })) << Fetch(second);
}

TEST_F(CaddyProcessTest, SavedConfigCaddyExitsOnIsSetAside) {
  CaddyProcess caddy(Options());
  Json broken = AppConfig(caddy);
  broken["apps"]["http"]["servers"]["https"]["routes"][0]["handle"][1]["handler"] = "nonexistent";
  ASSERT_TRUE(fs::CreateDirectories(caddy.dir()));
  ASSERT_TRUE(fs::AtomicWriteFile(caddy.config_path(), broken.dump()));
  ASSERT_TRUE(caddy.Start()) << fs::ReadFile(caddy.log_path()).value_or("");
  EXPECT_EQ(Json::parse(*fs::ReadFile(caddy.config_path() + ".rejected")), broken);
  EXPECT_FALSE(Json::parse(*fs::ReadFile(caddy.config_path())).contains("apps"));
  EXPECT_TRUE(caddy.Load(AppConfig(caddy)));
}

TEST_F(CaddyProcessTest, StartFailsWithoutCaddy) {
  CaddyOptions options = Options();
  options.caddy = dir_.File("no-such-caddy");
  CaddyProcess caddy(options);
  Status started = caddy.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound) << started.error().message;
  EXPECT_EQ(caddy.pid(), -1);
}

TEST_F(CaddyProcessTest, ReportsCertificateErrorsFromItsLogAcrossRotation) {
  CaddyProcess caddy(Options());
  ASSERT_TRUE(caddy.Start());
  // Past 10 MiB the log is copied to caddy.log.1 and truncated; reading goes on after that.
  {
    std::ofstream log(caddy.log_path(), std::ios::app);
    std::string filler(1023, 'x');
    for (int i = 0; i < 11 * 1024; ++i) log << filler << '\n';
  }
  EXPECT_TRUE(Eventually([&] {
    std::error_code error;
    return fs::Exists(caddy.log_path() + ".1") &&
           std::filesystem::file_size(caddy.log_path(), error) < (10u << 20) && !error;
  }));
  EdgeSettings settings = Settings(caddy);
  // An ACME directory nobody serves: obtaining fails at once.
  settings.acme_directory = "https://127.0.0.1:" + std::to_string(FreePort()) + "/dir";
  ASSERT_TRUE(caddy.Load(CaddyConfig(
      settings,
      {{.id = "d2-shop", .hosts = {"shop.example.com"}, .upstreams = {upstream_.address()}}})));
  EXPECT_TRUE(Eventually([&] { return caddy.CertificateError("shop.example.com").has_value(); }))
      << fs::ReadFile(caddy.log_path()).value_or("");
  auto error = caddy.CertificateError("shop.example.com");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("127.0.0.1"), std::string::npos) << *error;
  EXPECT_EQ(caddy.CertificateError("app.localhost"), std::nullopt);
  EXPECT_EQ(ReadCertificate(caddy.storage_dir(), "shop.example.com", std::time(nullptr)).state,
            CertificateInfo::State::kNone);
}

// Pebble, a test ACME server, validating every challenge without looking (PEBBLE_VA_ALWAYS_VALID).
class Pebble {
 public:
  explicit Pebble(const std::string& dir) : dir_(dir) {}

  Status Start() {
    TRY(fs::CreateDirectories(dir_));
    ProcessOptions openssl;
    openssl.argv = {"openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    dir_ + "/key.pem",
                    "-out",
                    cert_path(),
                    "-days",
                    "2",
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"};
    openssl.timeout = 60s;
    TRY(RunChecked(openssl));
    port_ = FreePort();
    Json config = {{"pebble",
                    {{"listenAddress", "127.0.0.1:" + std::to_string(port_)},
                     {"managementListenAddress", "127.0.0.1:" + std::to_string(FreePort())},
                     {"certificate", cert_path()},
                     {"privateKey", dir_ + "/key.pem"},
                     {"httpPort", FreePort()},
                     {"tlsPort", FreePort()},
                     {"ocspResponderURL", ""},
                     {"externalAccountBindingRequired", false}}}};
    TRY(fs::AtomicWriteFile(dir_ + "/pebble.json", config.dump()));
    Subprocess::Spawn spawn;
    spawn.options.argv = {"pebble", "-config", dir_ + "/pebble.json"};
    spawn.options.env = {{"PEBBLE_VA_ALWAYS_VALID", "1"},
                         {"PEBBLE_VA_NOSLEEP", "1"},
                         {"PEBBLE_WFE_NONCEREJECT", "0"}};
    spawn.options.die_with_parent = true;
    spawn.stdout_path = dir_ + "/pebble.log";
    spawn.stderr_path = dir_ + "/pebble.log";
    process_.emplace(TRY(Subprocess::Start(spawn)));
    bool up = Eventually([&] {
      auto log = fs::ReadFile(dir_ + "/pebble.log");
      return log && log->find("ACME directory available") != std::string::npos;
    });
    if (!up) return Unexpected(ErrorCode::kTimeout, "pebble did not start");
    return Ok();
  }

  std::string directory() const { return "https://127.0.0.1:" + std::to_string(port_) + "/dir"; }
  std::string cert_path() const { return dir_ + "/cert.pem"; }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  std::optional<Subprocess> process_;  // ended by its destructor
};

TEST_F(CaddyProcessTest, ReadsAcmeCertificates) {
  if (!FindExecutable("pebble")) GTEST_SKIP() << "pebble is missing: run scripts/setup";
  Pebble pebble(dir_.File("pebble"));
  ASSERT_TRUE(pebble.Start()) << fs::ReadFile(dir_.File("pebble/pebble.log")).value_or("");
  CaddyProcess caddy(Options());
  ASSERT_TRUE(caddy.Start());
  EdgeSettings settings = Settings(caddy);
  settings.acme_directory = pebble.directory();
  settings.acme_trusted_roots = {pebble.cert_path()};
  ASSERT_TRUE(caddy.Load(CaddyConfig(
      settings,
      {{.id = "d2-shop", .hosts = {"shop.example.com"}, .upstreams = {upstream_.address()}}})));

  CertificateInfo cert;
  EXPECT_TRUE(Eventually([&] {
    cert = ReadCertificate(caddy.storage_dir(), "shop.example.com", std::time(nullptr));
    return cert.state == CertificateInfo::State::kValid;
  })) << fs::ReadFile(caddy.log_path()).value_or("");
  EXPECT_EQ(cert.issuer, "127.0.0.1:" + std::to_string(pebble.port()));
  EXPECT_EQ(cert.path, caddy.storage_dir() + "/certificates/127.0.0.1-" +
                           std::to_string(pebble.port()) +
                           "-dir/shop.example.com/shop.example.com.crt");
  EXPECT_EQ(caddy.CertificateError("shop.example.com"), std::nullopt);
}

}  // namespace
}  // namespace yard::edge
