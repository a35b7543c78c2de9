// The `yard` client driven as a user would: login, whoami, tokens, users, exit codes.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "http/client.h"
#include "testing/yard_server.h"
#include "server_test_base.h"

namespace yard {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using testing::ClientConfigPath;
using testing::RunYard;
using testing::YardServer;
using Json = nlohmann::json;

// Has the shape of a token (so it reaches the store lookup) but was never issued.
const std::string kUnknownToken = "yard_" + std::string(40, 'A');

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 07777;
}

// Parses stdout as exactly one JSON document (nlohmann rejects trailing content).
Json ParseOne(const ProcessResult& result) {
  Json json = Json::parse(result.stdout_data, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << "stdout is not one JSON document:\n" << result.stdout_data;
  return json;
}

// A 127.0.0.1 port on which nothing listens, for as long as the object lives: a bound socket
// that never listens gets ECONNREFUSED and keeps others from taking the port.
class DeadPort {
 public:
  DeadPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    socklen_t size = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~DeadPort() { ::close(fd_); }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class CliTest : public ServerTestBase {
 protected:
  // Creates a user as admin and returns the secret of their first token.
  std::string CreateUser(const std::string& name) {
    auto created = RunYard(AsAdmin({"users", "create", name, "--json"}));
    EXPECT_EQ(created.exit_code, 0) << created.stderr_data;
    Json json = ParseOne(created);
    return json.value("secret", "");
  }

  int HttpStatus(const std::string& path, const std::string& token) {
    auto endpoint = http::Endpoint::Parse(server_->url());
    http::ClientRequest request;
    request.target = path;
    request.headers.emplace_back("Authorization", "Bearer " + token);
    auto response = http::Client(*endpoint).Send(request, std::chrono::seconds(10));
    EXPECT_TRUE(response) << response.error().message;
    return response ? response->status : -1;
  }

};

TEST_F(CliTest, LoginThenWhoami) {
  auto login = RunYard({"login", "--server", server_->url(), "--token", server_->admin_token()});
  ASSERT_EQ(login.exit_code, 0) << login.stderr_data;
  EXPECT_THAT(login.stdout_data, HasSubstr("Logged in to " + server_->url() + " as admin"));

  // The stored login is private, and so is its directory.
  ASSERT_TRUE(fs::Exists(ClientConfigPath())) << login.stdout_data;
  EXPECT_EQ(ModeOf(ClientConfigPath()), 0600u);
  EXPECT_EQ(ModeOf(testing::ClientHome() + "/config/stackyard"), 0700u);
  Json config = Json::parse(*fs::ReadFile(ClientConfigPath()));
  EXPECT_EQ(config["server"], server_->url());
  EXPECT_EQ(config["token"], server_->admin_token());

  auto whoami = RunYard({"whoami"});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_EQ(whoami.stdout_data, "admin (admin) on " + server_->url() + "\n");
  EXPECT_THAT(whoami.stderr_data, IsEmpty());
}

TEST_F(CliTest, LoginReadsTheTokenFromStandardInput) {
  auto login = RunYard({"login", "--server", server_->url()}, {}, server_->admin_token() + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.stderr_data;
  auto whoami = RunYard({"whoami"});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_THAT(whoami.stdout_data, StartsWith("admin (admin)"));
}

TEST_F(CliTest, LoginWithTheDataDir) {
  auto login = RunYard({"login", "--data-dir", server_->data_dir()});
  ASSERT_EQ(login.exit_code, 0) << login.stderr_data;
  auto whoami = RunYard({"whoami"});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_EQ(whoami.stdout_data, "admin (admin) on " + server_->url() + "\n");
}

TEST_F(CliTest, LoginWithAWrongTokenFailsAndStoresNothing) {
  auto login = RunYard({"login", "--server", server_->url(), "--token", kUnknownToken});
  EXPECT_EQ(login.exit_code, 1);
  EXPECT_THAT(login.stderr_data, HasSubstr("login failed"));
  EXPECT_FALSE(fs::Exists(ClientConfigPath()));
}

TEST_F(CliTest, WhoamiJsonPrintsOneDocument) {
  auto whoami = RunYard(AsAdmin({"whoami", "--json"}));
  ASSERT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  Json json = ParseOne(whoami);
  EXPECT_EQ(json["server"], server_->url());
  EXPECT_EQ(json["user"]["name"], "admin");
  EXPECT_EQ(json["user"]["role"], "admin");
  // --json also works before the subcommand.
  auto before = RunYard(AsAdmin({"--json", "whoami"}));
  ASSERT_EQ(before.exit_code, 0) << before.stderr_data;
  EXPECT_EQ(ParseOne(before), json);
}

TEST_F(CliTest, EnvironmentWorksWithoutLogin) {
  auto whoami = RunYard({"whoami"}, {{"YARD_SERVER", server_->url()},
                                     {"YARD_TOKEN", server_->admin_token()}});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_THAT(whoami.stdout_data, StartsWith("admin (admin)"));
  EXPECT_FALSE(fs::Exists(ClientConfigPath()));
}

TEST_F(CliTest, FlagsOverrideEnvironment) {
  DeadPort dead;
  // Wrong server and token in the environment, right ones on the command line.
  auto whoami = RunYard(AsAdmin({"whoami"}),
                        {{"YARD_SERVER", dead.url()}, {"YARD_TOKEN", kUnknownToken}});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_THAT(whoami.stdout_data, StartsWith("admin (admin)"));

  // And the other way round: a wrong flag wins over a right environment.
  auto wrong = RunYard({"whoami", "--token", kUnknownToken},
                       {{"YARD_SERVER", server_->url()}, {"YARD_TOKEN", server_->admin_token()}});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.stderr_data, HasSubstr("invalid or expired token"));
}

TEST_F(CliTest, EnvironmentOverridesStoredLogin) {
  std::string bob = CreateUser("bob");
  auto login = RunYard({"login", "--server", server_->url(), "--token", server_->admin_token()});
  ASSERT_EQ(login.exit_code, 0) << login.stderr_data;
  auto whoami = RunYard({"whoami"}, {{"YARD_TOKEN", bob}});
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_THAT(whoami.stdout_data, StartsWith("bob (user)"));
  auto flag = RunYard({"whoami", "--token", bob});
  EXPECT_THAT(flag.stdout_data, StartsWith("bob (user)"));
}

TEST_F(CliTest, WrongTokenFailsWithExitOne) {
  for (const std::string& token : {kUnknownToken, std::string("not-a-token")}) {
    SCOPED_TRACE(token);
    auto whoami = RunYard(As(token, {"whoami"}));
    EXPECT_EQ(whoami.exit_code, 1);
    EXPECT_THAT(whoami.stdout_data, IsEmpty());
    EXPECT_THAT(whoami.stderr_data, StartsWith("yard: error: "));
    EXPECT_THAT(whoami.stderr_data, HasSubstr("invalid or expired token"));
  }
}

TEST_F(CliTest, ErrorsAreJsonWithJsonFlag) {
  auto whoami = RunYard(As(kUnknownToken, {"whoami", "--json"}));
  EXPECT_EQ(whoami.exit_code, 1);
  EXPECT_THAT(whoami.stdout_data, IsEmpty());
  Json error = Json::parse(whoami.stderr_data, nullptr, false);
  ASSERT_FALSE(error.is_discarded()) << whoami.stderr_data;
  EXPECT_EQ(error["error"]["code"], "unauthenticated");
}

TEST_F(CliTest, NoServerConfiguredGivesAdvice) {
  auto whoami = RunYard({"whoami"});
  EXPECT_EQ(whoami.exit_code, 1);
  EXPECT_THAT(whoami.stderr_data, HasSubstr("not logged in"));
  EXPECT_THAT(whoami.stderr_data, HasSubstr("yard login --server"));
  EXPECT_THAT(whoami.stderr_data, HasSubstr("YARD_SERVER"));
}

TEST_F(CliTest, UnreachableServerFailsWithAdvice) {
  DeadPort dead;
  auto whoami = RunYard({"whoami", "--server", dead.url(), "--token", server_->admin_token()});
  EXPECT_EQ(whoami.exit_code, 1);
  EXPECT_THAT(whoami.stderr_data, HasSubstr("cannot reach"));
  EXPECT_THAT(whoami.stderr_data, HasSubstr("yard server"));
}

TEST_F(CliTest, MalformedServerUrlIsAUsageError) {
  auto whoami = RunYard({"whoami", "--server", "ftp://example", "--token", server_->admin_token()});
  EXPECT_EQ(whoami.exit_code, 2) << whoami.stderr_data;
  EXPECT_THAT(whoami.stderr_data, HasSubstr("http://HOST:PORT"));
}

TEST_F(CliTest, CommandLineMistakesExitTwo) {
  const std::vector<std::vector<std::string>> mistakes = {
      {},                                 // no subcommand
      {"frobnicate"},                     // unknown subcommand
      {"keys"},                           // missing sub-subcommand
      {"keys", "frobnicate"},             //
      {"keys", "remove"},                 // missing argument
      {"users", "create"},                //
      {"tokens", "revoke"},               //
      {"tokens", "revoke", "abc"},        // not an id
      {"tokens", "create", "--expires-in-days", "0"},
      {"whoami", "--no-such-flag"},       // unknown flag
      {"whoami", "extra"},                // unexpected argument
  };
  for (const auto& args : mistakes) {
    std::string joined;
    for (const auto& arg : args) joined += arg + " ";
    SCOPED_TRACE("yard " + joined);
    auto result = RunYard(AsAdmin(args));
    EXPECT_EQ(result.exit_code, 2) << result.stdout_data << result.stderr_data;
    EXPECT_THAT(result.stderr_data, Not(IsEmpty()));
  }
}

TEST_F(CliTest, HelpAndVersion) {
  auto help = RunYard({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.stderr_data;
  for (const char* command : {"server", "login", "logout", "whoami", "tokens", "keys", "users"}) {
    EXPECT_THAT(help.stdout_data, HasSubstr(command));
  }
  auto keys_help = RunYard({"keys", "--help"});
  EXPECT_EQ(keys_help.exit_code, 0);
  EXPECT_THAT(keys_help.stdout_data, HasSubstr("remove"));

  auto version = RunYard({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.stdout_data, Not(IsEmpty()));

  auto both = RunYard(AsAdmin({"version", "--json"}));
  EXPECT_EQ(both.exit_code, 0) << both.stderr_data;
  Json json = ParseOne(both);
  EXPECT_EQ(json["client"], json["server"]);
}

TEST_F(CliTest, TokensCreateListRevoke) {
  auto created = RunYard(AsAdmin({"tokens", "create", "--name", "x", "--json"}));
  ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
  Json json = ParseOne(created);
  std::string secret = json.value("secret", "");
  ASSERT_THAT(secret, StartsWith("yard_"));
  int64_t id = json["token"]["id"].get<int64_t>();
  EXPECT_EQ(json["token"]["name"], "x");

  auto whoami = RunYard(As(secret, {"whoami"}));
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_THAT(whoami.stdout_data, StartsWith("admin (admin)"));

  auto table = RunYard(AsAdmin({"tokens", "list"}));
  ASSERT_EQ(table.exit_code, 0) << table.stderr_data;
  EXPECT_THAT(table.stdout_data, HasSubstr(" x "));
  EXPECT_THAT(table.stdout_data, HasSubstr(secret.substr(0, 8)));
  EXPECT_THAT(table.stdout_data, Not(HasSubstr(secret))) << "a listing must not show secrets";

  auto listed = RunYard(As(secret, {"tokens", "list", "--json"}));
  ASSERT_EQ(listed.exit_code, 0) << listed.stderr_data;
  bool found = false;
  Json listed_json = ParseOne(listed);
  for (const Json& token : listed_json["tokens"]) {
    if (token["id"] == id) {
      found = true;
      EXPECT_EQ(token["name"], "x");
      EXPECT_EQ(token["current"], true);
    } else {
      EXPECT_EQ(token["current"], false);
    }
  }
  EXPECT_TRUE(found) << listed.stdout_data;

  auto revoked = RunYard(AsAdmin({"tokens", "revoke", std::to_string(id)}));
  EXPECT_EQ(revoked.exit_code, 0) << revoked.stderr_data;
  EXPECT_EQ(HttpStatus("/api/v1/users/me", secret), 401);
  auto after = RunYard(As(secret, {"whoami"}));
  EXPECT_EQ(after.exit_code, 1);
  EXPECT_THAT(after.stderr_data, HasSubstr("invalid or expired token"));
  // The admin's own token is unaffected.
  EXPECT_EQ(HttpStatus("/api/v1/users/me", server_->admin_token()), 200);

  auto again = RunYard(AsAdmin({"tokens", "revoke", std::to_string(id)}));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.stderr_data, HasSubstr("no token"));
}

TEST_F(CliTest, ATokenCanRevokeItself) {
  auto created = RunYard(AsAdmin({"tokens", "create", "--json"}));
  ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
  Json json = ParseOne(created);
  std::string secret = json["secret"];
  auto revoked = RunYard(As(secret, {"tokens", "revoke", std::to_string(json["token"]["id"].get<int64_t>())}));
  EXPECT_EQ(revoked.exit_code, 0) << revoked.stderr_data;
  EXPECT_EQ(HttpStatus("/api/v1/users/me", secret), 401);
}

TEST_F(CliTest, AdminCreatesUserWhoIsNotAnAdmin) {
  std::string bob = CreateUser("bob");
  ASSERT_THAT(bob, StartsWith("yard_"));

  auto whoami = RunYard(As(bob, {"whoami"}));
  EXPECT_EQ(whoami.exit_code, 0) << whoami.stderr_data;
  EXPECT_EQ(whoami.stdout_data, "bob (user) on " + server_->url() + "\n");

  auto list = RunYard(As(bob, {"users", "list"}));
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.stdout_data, IsEmpty());
  EXPECT_THAT(list.stderr_data, HasSubstr("admin role"));
  EXPECT_EQ(HttpStatus("/api/v1/users", bob), 403);

  auto create = RunYard(As(bob, {"users", "create", "carol"}));
  EXPECT_EQ(create.exit_code, 1);
  EXPECT_THAT(create.stderr_data, HasSubstr("admin role"));
  auto create_admin = RunYard(As(bob, {"users", "create", "mallory", "--admin"}));
  EXPECT_EQ(create_admin.exit_code, 1);

  auto users = RunYard(AsAdmin({"users", "list", "--json"}));
  ASSERT_EQ(users.exit_code, 0) << users.stderr_data;
  std::vector<std::string> names;
  Json users_json = ParseOne(users);
  for (const Json& user : users_json["users"]) names.push_back(user["name"]);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("admin", "bob"));

  auto table = RunYard(AsAdmin({"users", "list"}));
  EXPECT_THAT(table.stdout_data, HasSubstr("bob"));
}

TEST_F(CliTest, AdminCanCreateAnotherAdmin) {
  auto created = RunYard(AsAdmin({"users", "create", "alice", "--admin", "--json"}));
  ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
  Json json = ParseOne(created);
  EXPECT_EQ(json["user"]["role"], "admin");
  auto list = RunYard(As(json["secret"].get<std::string>(), {"users", "list"}));
  EXPECT_EQ(list.exit_code, 0) << list.stderr_data;
}

TEST_F(CliTest, UserCreationRejectsBadAndDuplicateNames) {
  CreateUser("bob");
  auto duplicate = RunYard(AsAdmin({"users", "create", "bob"}));
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_THAT(duplicate.stderr_data, HasSubstr("bob"));
  for (const char* name : {"Bob", "bob smith", "../etc", "-bob", ""}) {
    SCOPED_TRACE(name);
    auto bad = RunYard(AsAdmin({"users", "create", name}));
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_THAT(bad.stderr_data, Not(IsEmpty()));
  }
}

TEST_F(CliTest, UsersTokensAreSeparate) {
  std::string bob = CreateUser("bob");
  auto admin_tokens = RunYard(AsAdmin({"tokens", "list", "--json"}));
  ASSERT_EQ(admin_tokens.exit_code, 0);
  Json admin_list = ParseOne(admin_tokens)["tokens"];
  ASSERT_EQ(admin_list.size(), 1u) << admin_list;
  int64_t admin_token_id = admin_list[0]["id"];

  auto bob_tokens = RunYard(As(bob, {"tokens", "list", "--json"}));
  ASSERT_EQ(bob_tokens.exit_code, 0);
  Json bob_list = ParseOne(bob_tokens)["tokens"];
  ASSERT_EQ(bob_list.size(), 1u) << bob_list;
  EXPECT_EQ(bob_list[0]["name"], "initial");
  EXPECT_NE(bob_list[0]["id"], admin_token_id);

  // Bob cannot revoke the admin's token, even knowing its id.
  auto revoke = RunYard(As(bob, {"tokens", "revoke", std::to_string(admin_token_id)}));
  EXPECT_EQ(revoke.exit_code, 1);
  EXPECT_EQ(HttpStatus("/api/v1/users/me", server_->admin_token()), 200);

  // A token bob creates is bob's.
  auto created = RunYard(As(bob, {"tokens", "create", "--name", "laptop", "--json"}));
  ASSERT_EQ(created.exit_code, 0);
  auto whoami = RunYard(As(ParseOne(created)["secret"].get<std::string>(), {"whoami"}));
  EXPECT_THAT(whoami.stdout_data, StartsWith("bob (user)"));
  auto admin_again = RunYard(AsAdmin({"tokens", "list", "--json"}));
  EXPECT_EQ(ParseOne(admin_again)["tokens"].size(), 1u);
}

TEST_F(CliTest, LogoutForgetsTheLogin) {
  auto login = RunYard({"login", "--server", server_->url(), "--token", server_->admin_token()});
  ASSERT_EQ(login.exit_code, 0) << login.stderr_data;
  ASSERT_EQ(RunYard({"whoami"}).exit_code, 0);

  auto logout = RunYard({"logout"});
  EXPECT_EQ(logout.exit_code, 0) << logout.stderr_data;
  EXPECT_FALSE(fs::Exists(ClientConfigPath()));
  auto whoami = RunYard({"whoami"});
  EXPECT_EQ(whoami.exit_code, 1);
  EXPECT_THAT(whoami.stderr_data, HasSubstr("not logged in"));
  // The token itself still works: logging out only forgets it locally.
  EXPECT_EQ(HttpStatus("/api/v1/users/me", server_->admin_token()), 200);

  auto again = RunYard({"logout"});
  EXPECT_EQ(again.exit_code, 0) << again.stderr_data;
}

TEST_F(CliTest, CorruptConfigIsReported) {
  ASSERT_TRUE(fs::CreateDirectories(testing::ClientHome() + "/config/stackyard", 0700));
  ASSERT_TRUE(fs::AtomicWriteFile(ClientConfigPath(), "{not json", 0600));
  auto whoami = RunYard({"whoami"});
  EXPECT_EQ(whoami.exit_code, 1);
  EXPECT_THAT(whoami.stderr_data, HasSubstr("corrupt"));
  // Flags and environment do not need the file.
  auto with_flags = RunYard(AsAdmin({"whoami"}));
  EXPECT_EQ(with_flags.exit_code, 0) << with_flags.stderr_data;
}

}  // namespace
}  // namespace yard
