// `yard server` as an operator runs it: start, refuse a second instance, stop on signals,
// restart with the same state, reject bad flags.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "http/client.h"
#include "raw_http.h"
#include "testing/temp_dir.h"
#include "testing/yard_server.h"

namespace yard {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::RawConnection;
using testing::RunYard;
using testing::TempDir;
using testing::YardServer;
using Json = nlohmann::json;

constexpr auto kHttpTimeout = std::chrono::seconds(10);

Result<http::Response> Get(const std::string& url, const std::string& path,
                           const std::string& token = "") {
  auto endpoint = TRY(http::Endpoint::Parse(url));
  http::ClientRequest request;
  request.target = path;
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  return http::Client(endpoint).Send(request, kHttpTimeout);
}

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 07777;
}

std::unique_ptr<YardServer> MustStart(YardServer::Options options = {}) {
  auto server = YardServer::Start(std::move(options));
  if (!server) {
    ADD_FAILURE() << server.error().message;
    return nullptr;
  }
  return std::move(*server);
}

TEST(ServerLifecycleTest, StartsOnPortZeroAndWritesServerJson) {
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()));

  auto text = fs::ReadFile(server->server_json_path());
  ASSERT_TRUE(text) << text.error().message;
  Json info = Json::parse(*text);
  EXPECT_EQ(info["api"], server->url());
  EXPECT_EQ(info["pid"], server->pid());
  EXPECT_TRUE(info["version"].is_string());

  auto health = Get(server->url(), "/healthz");
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Json::parse(health->body)["status"], "ok");
}

TEST(ServerLifecycleTest, AdminTokenIsPrivateAndAccepted) {
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(ModeOf(server->admin_token_path()), 0600u);
  EXPECT_THAT(server->admin_token(), StartsWith("yard_"));

  auto me = Get(server->url(), "/api/v1/users/me", server->admin_token());
  ASSERT_TRUE(me) << me.error().message;
  ASSERT_EQ(me->status, 200) << me->body;
  Json user = Json::parse(me->body);
  EXPECT_EQ(user["name"], "admin");
  EXPECT_EQ(user["role"], "admin");

  auto whoami = RunYard({"whoami", "--server", server->url(), "--token", server->admin_token()});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_THAT(whoami.stdout_data, StartsWith("admin (admin)"));
}

TEST(ServerLifecycleTest, DataDirIsPrivate) {
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  // It holds the database with token hashes and the admin token.
  EXPECT_EQ(ModeOf(server->data_dir()), 0700u);
}

TEST(ServerLifecycleTest, SecondServerOnSameDataDirIsRefused) {
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  auto before = fs::ReadFile(server->server_json_path());
  ASSERT_TRUE(before);

  auto second =
      RunYard({"server", "--data-dir", server->data_dir(), "--api", "127.0.0.1:0"});
  EXPECT_FALSE(second.timed_out) << "the second server did not exit";
  EXPECT_NE(second.exit_code, 0) << second.Describe();
  EXPECT_EQ(second.term_signal, 0);
  EXPECT_THAT(second.stderr_data, HasSubstr("another yard server"));
  EXPECT_THAT(second.stderr_data, HasSubstr("lock"));
  EXPECT_THAT(second.stderr_data, HasSubstr("pid " + std::to_string(server->pid())));

  // The first server is untouched: still running, still findable, still serving.
  EXPECT_TRUE(server->Running());
  auto after = fs::ReadFile(server->server_json_path());
  ASSERT_TRUE(after) << "the refused server removed the running server's server.json";
  EXPECT_EQ(*after, *before);
  auto health = Get(server->url(), "/healthz");
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200);
}

TEST(ServerLifecycleTest, SigtermStopsWithExitZeroAndRemovesServerJson) {
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(fs::Exists(server->server_json_path()));
  ProcessResult result = server->Stop();
  EXPECT_FALSE(result.timed_out) << "SIGTERM did not stop the server\n" << server->log();
  EXPECT_EQ(result.exit_code, 0) << result.Describe() << "\n" << server->log();
  EXPECT_EQ(result.term_signal, 0);
  EXPECT_FALSE(fs::Exists(server->server_json_path()));
  EXPECT_TRUE(fs::Exists(server->admin_token_path()));
  EXPECT_THAT(server->log(), HasSubstr("SIGTERM"));
}

TEST(ServerLifecycleTest, SigintStopsWithExitZeroAndRemovesServerJson) {
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  server->Signal(SIGINT);
  auto result = server->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(result) << "SIGINT did not stop the server\n" << server->log();
  EXPECT_EQ(result->exit_code, 0) << result->Describe() << "\n" << server->log();
  EXPECT_EQ(result->term_signal, 0);
  EXPECT_FALSE(fs::Exists(server->server_json_path()));
  EXPECT_THAT(server->log(), HasSubstr("SIGINT"));
}

TEST(ServerLifecycleTest, IdleConnectionsDoNotHoldUpShutdown) {
  // Connections waiting for a request are closed at once on SIGTERM; only requests in flight
  // get the shutdown grace time (10 s).
  auto server = MustStart();
  ASSERT_NE(server, nullptr);
  auto idle = RawConnection::Connect(server->port());
  ASSERT_TRUE(idle) << idle.error().message;
  auto half = RawConnection::Connect(server->port());
  ASSERT_TRUE(half) << half.error().message;
  ASSERT_TRUE(half->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n", std::chrono::seconds(5)));
  // Make sure the server has accepted both before the signal.
  auto health = Get(server->url(), "/healthz");
  ASSERT_TRUE(health);

  ProcessResult result = server->Stop(std::chrono::seconds(30));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << server->log();
  EXPECT_THAT(server->log(), Not(HasSubstr("still open")))
      << "idle connections held the shutdown up";
  EXPECT_TRUE(idle->WaitForClose(std::chrono::seconds(5)));
  EXPECT_TRUE(half->WaitForClose(std::chrono::seconds(5)));
}

TEST(ServerLifecycleTest, RestartKeepsUsersAndTokens) {
  TempDir state;
  std::string data_dir = state.File("data");
  std::string admin_token, bob_token;
  struct stat token_file_before {};
  {
    auto server = MustStart({.data_dir = data_dir});
    ASSERT_NE(server, nullptr);
    admin_token = server->admin_token();
    auto created = RunYard(
        {"users", "create", "bob", "--json", "--server", server->url(), "--token", admin_token});
    ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
    bob_token = Json::parse(created.stdout_data)["secret"].get<std::string>();
    ASSERT_EQ(::stat(server->admin_token_path().c_str(), &token_file_before), 0);
    ProcessResult stopped = server->Stop();
    ASSERT_EQ(stopped.exit_code, 0) << server->log();
  }

  auto server = MustStart({.data_dir = data_dir});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->admin_token(), admin_token) << "admin.token was rewritten";
  struct stat token_file_after {};
  ASSERT_EQ(::stat(server->admin_token_path().c_str(), &token_file_after), 0);
  EXPECT_EQ(token_file_after.st_ino, token_file_before.st_ino) << "admin.token was replaced";
  EXPECT_EQ(token_file_after.st_mtim.tv_sec, token_file_before.st_mtim.tv_sec);
  EXPECT_EQ(token_file_after.st_mtim.tv_nsec, token_file_before.st_mtim.tv_nsec);

  auto admin = RunYard({"whoami", "--server", server->url(), "--token", admin_token});
  EXPECT_EQ(admin.exit_code, 0) << admin.stderr_data;
  EXPECT_THAT(admin.stdout_data, StartsWith("admin (admin)"));
  auto bob = RunYard({"whoami", "--server", server->url(), "--token", bob_token});
  EXPECT_EQ(bob.exit_code, 0) << bob.stderr_data;
  EXPECT_THAT(bob.stdout_data, StartsWith("bob (user)"));

  auto users = RunYard({"users", "list", "--json", "--server", server->url(), "--token", admin_token});
  ASSERT_EQ(users.exit_code, 0) << users.stderr_data;
  EXPECT_EQ(Json::parse(users.stdout_data)["users"].size(), 2u) << users.stdout_data;
}

TEST(ServerLifecycleTest, RestartsAfterACrash) {
  TempDir state;
  std::string data_dir = state.File("data");
  std::string admin_token;
  {
    auto server = MustStart({.data_dir = data_dir});
    ASSERT_NE(server, nullptr);
    admin_token = server->admin_token();
    server->Signal(SIGKILL);
    auto result = server->Wait(std::chrono::seconds(20));
    ASSERT_TRUE(result);
    ASSERT_EQ(result->term_signal, SIGKILL);
    // A crashed server leaves its server.json behind...
    ASSERT_TRUE(fs::Exists(server->server_json_path()));
  }
  // ...and neither it nor the lock file stops the next start; the harness only accepts a
  // server.json naming the new pid.
  auto server = MustStart({.data_dir = data_dir});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->admin_token(), admin_token);
  auto me = Get(server->url(), "/api/v1/users/me", admin_token);
  ASSERT_TRUE(me) << me.error().message;
  EXPECT_EQ(me->status, 200);
}

TEST(ServerLifecycleTest, UnknownLogLevelIsAUsageError) {
  TempDir dir;
  auto result = RunYard({"server", "--data-dir", dir.File("data"), "--api", "127.0.0.1:0",
                         "--log-level", "bogus"});
  EXPECT_FALSE(result.timed_out) << "the server started despite --log-level bogus";
  EXPECT_EQ(result.exit_code, 2) << "usage errors exit 2: " << result.stderr_data;
  EXPECT_THAT(result.stderr_data, HasSubstr("log level 'bogus'"));
  EXPECT_FALSE(fs::Exists(dir.File("data/server.json")));
}

TEST(ServerLifecycleTest, BadApiAddressIsAUsageError) {
  TempDir dir;
  for (const char* api : {"nonsense", "127.0.0.1:notaport", "127.0.0.1:70000", ":8420",
                          "127.0.0.1:"}) {
    SCOPED_TRACE(api);
    auto result =
        RunYard({"server", "--data-dir", dir.File("data"), "--api", api, "--log-level", "warn"});
    EXPECT_FALSE(result.timed_out) << "the server started with --api " << api;
    EXPECT_EQ(result.exit_code, 2) << result.Describe() << ": " << result.stderr_data;
    EXPECT_THAT(result.stderr_data, HasSubstr("--api"));
  }
  EXPECT_FALSE(fs::Exists(dir.File("data/server.json")));
}

TEST(ServerLifecycleTest, BadRequestTimeoutIsAUsageError) {
  TempDir dir;
  for (const char* timeout : {"0", "-1", "abc"}) {
    SCOPED_TRACE(timeout);
    auto result = RunYard({"server", "--data-dir", dir.File("data"), "--api", "127.0.0.1:0",
                           "--request-timeout", timeout});
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 2) << result.stderr_data;
    EXPECT_THAT(result.stderr_data, HasSubstr("--request-timeout"));
  }
}

TEST(ServerLifecycleTest, PortInUseFailsClearly) {
  auto first = MustStart();
  ASSERT_NE(first, nullptr);
  TempDir dir;
  auto result = RunYard({"server", "--data-dir", dir.File("data"), "--api",
                         "127.0.0.1:" + std::to_string(first->port())});
  EXPECT_FALSE(result.timed_out) << "a second server bound a port that is in use";
  EXPECT_EQ(result.exit_code, 1) << result.stderr_data;
  EXPECT_THAT(result.stderr_data, HasSubstr(std::to_string(first->port())));
  EXPECT_FALSE(fs::Exists(dir.File("data/server.json")));
}

// The harness itself: a server that cannot start is reported with its log, and a server is
// never left running after its test.
TEST(YardServerHarnessTest, ReportsAServerThatCannotStart) {
  auto server = YardServer::Start({.extra_args = {"--log-level", "bogus"}});
  ASSERT_FALSE(server);
  EXPECT_THAT(server.error().message, HasSubstr("exited before it was ready"));
  EXPECT_THAT(server.error().message, HasSubstr("unknown log level"));
}

TEST(YardServerHarnessTest, DestructorKillsTheServer) {
  pid_t pid = 0;
  {
    auto server = MustStart();
    ASSERT_NE(server, nullptr);
    pid = server->pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  // Killed and reaped: not even a zombie is left.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(YardServerHarnessTest, ClientsNeverSeeTheRealUsersConfig) {
  auto result = RunYard({"whoami"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stderr_data, HasSubstr("not logged in"));
  EXPECT_THAT(testing::ClientConfigPath(), StartsWith(testing::ClientHome()));
}

}  // namespace
}  // namespace yard
