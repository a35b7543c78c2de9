// Deployments end to end on the real Podman engine, driven through the CLI as users do, with
// the example stack (examples/hello: a Flask guestbook and the postgres catalog add-on).
// The first test to run builds the images (a few minutes on a cold machine); later ones reuse
// them. Every container and network a test creates is removed by the test, even on failure.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "git/test_repo.h"
#include "http/client.h"
#include "server_test_base.h"

namespace yard {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using testing::RunTool;
using testing::RunYardFor;

constexpr auto kWait = 20min;  // a cold build of the example's images included

class DeploymentsTest : public ServerTestBase {
 protected:
  void SetUp() override {
    ServerTestBase::SetUp();
    if (HasFatalFailure()) return;
    installation_ = MUST(fs::ReadFile(server_->data_dir() + "/installation.id"));
    installation_.erase(installation_.find_last_not_of("\n") + 1);
    // The example stack as a Git repository the project mirrors.
    source_ = sources_.path() + "/hello";
    std::filesystem::copy(YARD_SOURCE_DIR "/examples/hello", source_,
                          std::filesystem::copy_options::recursive);
    git::testing::InitSource(source_);
    git::testing::CommitAll(source_, "the example stack", 1'700'000'000);
    Yard({"projects", "create", "hello", "--from", source_});
  }

  void TearDown() override {
    // Deployments outlive the server by design: remove what this test made, by label.
    if (server_ && server_->Running()) {
      auto listed = RunYardFor(30s, AsAdmin({"deployments", "list", "hello", "--json"}));
      if (listed.exit_code == 0) {
        for (const Json& d : Json::parse(listed.stdout_data)["deployments"]) {
          RunYardFor(2min, AsAdmin({"deployments", "delete", "hello/" + d["name"].get<std::string>(),
                                    "--yes", "--wait"}));
        }
      }
    }
    ServerTestBase::TearDown();
    std::string filter = "label=io.stackyard.installation=" + installation_;
    for (const std::string& id : Lines(Podman({"ps", "-aq", "--filter", filter}))) {
      Podman({"rm", "-f", "-t", "1", id});
    }
    for (const std::string& id : Lines(Podman({"network", "ls", "-q", "--filter", filter}))) {
      Podman({"network", "rm", "-f", id});
    }
  }

  // Runs `yard ARGS --json` as the admin; the test fails unless it exits 0.
  Json Yard(std::vector<std::string> args, std::chrono::milliseconds timeout = kWait) {
    args.push_back("--json");
    ProcessResult result = RunYardFor(timeout, AsAdmin(args));
    EXPECT_EQ(result.exit_code, 0) << fmt::format("yard {}\n", fmt::join(args, " "))
                                   << result.stderr_data << "\nserver log:\n" << server_->log();
    Json json = Json::parse(result.stdout_data, nullptr, false);
    return json.is_discarded() ? Json() : json;
  }

  std::string Podman(std::vector<std::string> args) {
    // Podman needs these settings here (see docs/deployments.md); the file outlives the
    // server, so cleanup works after any failure.
    std::string conf = sources_.path() + "/containers.conf";
    if (!fs::Exists(conf)) {
      MUST(fs::AtomicWriteFile(conf,
                               "[containers]\n"
                               "default_ulimits = [\"nofile=8192:8192\", \"nproc=4096:4096\"]\n"
                               "[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n"));
    }
    std::vector<std::string> argv = {"env", "CONTAINERS_CONF=" + conf, "podman"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv).stdout_data;
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) out.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  // The published address of the web component: "127.0.0.1:PORT".
  static std::string WebAddress(const Json& d) {
    for (const Json& service : d["status"]["services"]) {
      if (service["id"] == "web" && service["address"].is_string()) return service["address"];
    }
    return "";
  }

  static Result<http::Response> Http(const std::string& address, const std::string& method,
                                     const std::string& path, const std::string& body = "") {
    auto endpoint = MUST(http::Endpoint::Parse("http://" + address));
    http::Client client(endpoint);
    return client.Send({.method = method,
                        .target = path,
                        .body = body,
                        .content_type = "application/x-www-form-urlencoded"},
                       10s);
  }

  // GET / until `want` appears in the page, for at most `timeout`; returns the last page.
  static std::string PageWith(const std::string& address, const std::string& want,
                              std::chrono::seconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string page;
    while (std::chrono::steady_clock::now() < deadline) {
      auto response = Http(address, "GET", "/");
      if (response && response->status == 200) {
        page = response->body;
        if (page.find(want) != std::string::npos) return page;
      }
      std::this_thread::sleep_for(200ms);
    }
    return page;
  }

  // Running containers of `service` (in any deployment of this test's server).
  std::vector<std::string> ContainersOf(const std::string& service) {
    std::vector<std::string> out;
    // One label filter only: Podman 4.3 does not combine several.
    for (const std::string& line :
         Lines(Podman({"ps", "--filter", "label=io.stackyard.installation=" + installation_,
                       "--format", "{{.ID}} {{index .Labels \"io.stackyard.component\"}}"}))) {
      size_t space = line.find(' ');
      if (space != std::string::npos && line.substr(space + 1) == service) {
        out.push_back(line.substr(0, space));
      }
    }
    return out;
  }

  // Restarts the server on the same data dir. The old harness object owns the data dir's
  // temporary parent, so it is kept until the test ends.
  void RestartServer(bool kill) {
    std::string data_dir = server_->data_dir();
    if (kill) {
      server_->Signal(SIGKILL);
      ASSERT_TRUE(server_->Wait(10s));
    } else {
      server_->Stop();
    }
    auto restarted = testing::YardServer::Start({.data_dir = data_dir});
    ASSERT_TRUE(restarted) << restarted.error().message;
    retired_.push_back(std::move(server_));
    server_ = std::move(*restarted);
  }

  std::vector<std::unique_ptr<testing::YardServer>> retired_;
  testing::TempDir sources_;
  std::string source_;
  std::string installation_;
};

TEST_F(DeploymentsTest, DevelopmentDeploymentReloadsEditsAndKeepsThemAcrossRestarts) {
  Json d = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::string address = WebAddress(d);
  ASSERT_FALSE(address.empty()) << d.dump(2);
  EXPECT_NE(PageWith(address, "Hello from Stackyard").find("Hello from Stackyard"),
            std::string::npos);

  // An edit in the code volume shows in the next responses, without a restart.
  std::string code = server_->data_dir() + "/volumes/hello/dev/code";
  std::string template_path = code + "/web/templates/index.html";
  std::string page = MUST(fs::ReadFile(template_path));
  ASSERT_TRUE(fs::AtomicWriteFile(template_path, page + "\n<p>edited in the code volume</p>\n"));
  EXPECT_NE(PageWith(address, "edited in the code volume").find("edited in the code volume"),
            std::string::npos);

  // It survives a restart of the component, of the deployment and of the server.
  d = Yard({"deployments", "restart", "hello/dev", "web", "--wait"});
  EXPECT_NE(PageWith(WebAddress(d), "edited in the code volume").find("edited"),
            std::string::npos);
  d = Yard({"deployments", "restart", "hello/dev", "--wait"});
  EXPECT_NE(PageWith(WebAddress(d), "edited in the code volume").find("edited"),
            std::string::npos);

  RestartServer(/*kill=*/false);
  d = Yard({"deployments", "show", "hello/dev", "--wait"});
  EXPECT_EQ(d["status"]["colour"], "green");
  EXPECT_NE(PageWith(WebAddress(d), "edited in the code volume").find("edited"),
            std::string::npos);
  EXPECT_EQ(ContainersOf("web").size(), 1u);
}

TEST_F(DeploymentsTest, BuiltDeploymentStartsFreshButKeepsDatabaseData) {
  Json d = Yard({"deployments", "create", "hello/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::string address = WebAddress(d);
  auto posted = Http(address, "POST", "/", "message=kept-in-postgres");
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->status, 303);
  EXPECT_NE(PageWith(address, "kept-in-postgres").find("kept-in-postgres"), std::string::npos);

  // Write into the container's own filesystem: a restart must not keep it.
  auto web = ContainersOf("web");
  ASSERT_EQ(web.size(), 1u);
  Podman({"exec", web[0], "touch", "/tmp/written-at-run-time"});
  EXPECT_EQ(Podman({"exec", web[0], "ls", "/tmp/written-at-run-time"}),
            "/tmp/written-at-run-time\n");

  d = Yard({"deployments", "restart", "hello/prod", "--wait"});
  web = ContainersOf("web");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(Podman({"exec", web[0], "ls", "/tmp/written-at-run-time"}), "");
  EXPECT_NE(PageWith(WebAddress(d), "kept-in-postgres").find("kept-in-postgres"),
            std::string::npos);
}

TEST_F(DeploymentsTest, DeploymentsCannotReachEachOthersDatabase) {
  Json a = Yard({"deployments", "create", "hello/a", "--stage", "production", "--wait"});
  Json b = Yard({"deployments", "create", "hello/b", "--stage", "production", "--wait"});
  ASSERT_EQ(a["status"]["colour"], "green");
  ASSERT_EQ(b["status"]["colour"], "green");
  auto a_web = ContainersOf("web");
  ASSERT_FALSE(a_web.empty());
  std::string b_db;
  for (const std::string& id : ContainersOf("db")) {
    std::string labels = Podman({"inspect", "--format", "{{index .Config.Labels \"io.stackyard.deployment\"}}", id});
    std::string mine = Podman({"inspect", "--format", "{{index .Config.Labels \"io.stackyard.deployment\"}}", a_web[0]});
    if (labels != mine) b_db = id;
  }
  ASSERT_FALSE(b_db.empty());
  std::string b_ip = Podman({"inspect", "--format",
                             "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", b_db});
  b_ip.erase(b_ip.find_last_not_of("\n") + 1);
  ASSERT_FALSE(b_ip.empty());
  auto probe = [&](const std::string& host) {
    return Podman({"exec", a_web[0], "python3", "-c",
                   fmt::format("import socket\ntry:\n  socket.create_connection(('{}', 5432), 3)\n"
                               "  print('reached')\nexcept Exception:\n  print('blocked')",
                               host)});
  };
  EXPECT_EQ(probe("db"), "reached\n") << "its own database, by name";
  EXPECT_EQ(probe(b_ip), "blocked\n") << "the other deployment's database, by address";
}

TEST_F(DeploymentsTest, BrokenDockerfileFailsTheBuildAndTheOldVersionKeepsServing) {
  Json d = Yard({"deployments", "create", "hello/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::string first_commit = d["commit"];

  git::testing::WriteFile(source_, "web/Dockerfile",
                          "FROM docker.io/library/debian:bookworm-slim\nRUN exit 3\n");
  git::testing::CommitAll(source_, "a broken Dockerfile", 1'700'000'100);
  Yard({"projects", "refresh", "hello"});
  Yard({"deployments", "rebuild", "hello/prod"});

  // Wait for the build to fail.
  Json builds;
  auto deadline = std::chrono::steady_clock::now() + 5min;
  while (std::chrono::steady_clock::now() < deadline) {
    builds = Yard({"deployments", "builds", "hello/prod"});
    if (!builds["builds"].empty() && builds["builds"][0]["state"] == "failed") break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_EQ(builds["builds"][0]["state"], "failed") << builds.dump(2);
  Json log = Yard({"deployments", "build-log", "hello/prod"});
  EXPECT_NE(log["log"].get<std::string>().find("exit 3"), std::string::npos) << log.dump(2);

  d = Yard({"deployments", "show", "hello/prod"});
  EXPECT_EQ(d["commit"], first_commit);
  EXPECT_EQ(d["status"]["phase"], "running") << d.dump(2);
  EXPECT_NE(PageWith(WebAddress(d), "Hello").find("Hello"), std::string::npos);
}

TEST_F(DeploymentsTest, KilledServerConvergesWithoutDuplicatesOrOrphans) {
  // Killed while the deployment is being created...
  ProcessResult created = RunYardFor(
      30s, AsAdmin({"deployments", "create", "hello/dev", "--stage", "development"}));
  ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
  std::this_thread::sleep_for(1500ms);
  std::string data_dir = server_->data_dir();
  RestartServer(/*kill=*/true);
  Json d = Yard({"deployments", "show", "hello/dev", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);

  // ... and while it restarts.
  ProcessResult restart =
      RunYardFor(30s, AsAdmin({"deployments", "restart", "hello/dev"}));
  ASSERT_EQ(restart.exit_code, 0) << restart.stderr_data;
  std::this_thread::sleep_for(500ms);
  RestartServer(/*kill=*/true);
  d = Yard({"deployments", "show", "hello/dev", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);

  // One container per service, one network, nothing else of this installation.
  std::string filter = "label=io.stackyard.installation=" + installation_;
  EXPECT_EQ(Lines(Podman({"ps", "-aq", "--filter", filter})).size(), 2u);
  EXPECT_EQ(Lines(Podman({"network", "ls", "-q", "--filter", filter})).size(), 1u);
  EXPECT_NE(PageWith(WebAddress(d), "Hello").find("Hello"), std::string::npos);

  // ... and while it is deleted.
  ProcessResult deleting =
      RunYardFor(30s, AsAdmin({"deployments", "delete", "hello/dev", "--yes"}));
  ASSERT_EQ(deleting.exit_code, 0) << deleting.stderr_data;
  std::this_thread::sleep_for(200ms);
  RestartServer(/*kill=*/true);
  auto deadline = std::chrono::steady_clock::now() + 2min;
  while (std::chrono::steady_clock::now() < deadline &&
         RunYardFor(30s, AsAdmin({"deployments", "show", "hello/dev"})).exit_code == 0) {
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_TRUE(Lines(Podman({"ps", "-aq", "--filter", filter})).empty());
  EXPECT_TRUE(Lines(Podman({"network", "ls", "-q", "--filter", filter})).empty());
  EXPECT_FALSE(fs::Exists(data_dir + "/volumes/hello/dev"));
}

TEST_F(DeploymentsTest, BadRequestsAreRefusedClearly) {
  auto refused = [&](std::vector<std::string> args, const std::string& want) {
    ProcessResult result = RunYardFor(30s, AsAdmin(args));
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.stderr_data.find(want), std::string::npos) << result.stderr_data;
  };
  refused({"deployments", "create", "hello/Bad_Name"}, "deployment");
  refused({"deployments", "create", "hello/x", "--stage", "nope"}, "no stage 'nope'");
  refused({"deployments", "create", "hello/x", "--branch", "nope"}, "no branch 'nope'");
  refused({"deployments", "create", "hello/x", "--param", "unknown=1"}, "no param 'unknown'");
  refused({"deployments", "create", "hello/x", "--env", "1BAD=x"}, "not a valid variable name");
  refused({"deployments", "create", "hello/x", "--memory", "lots"}, "not a memory size");
  refused({"deployments", "create", "nothing/x"}, "no project named 'nothing'");
  refused({"deployments", "show", "hello/none"}, "no deployment 'none'");
  refused({"deployments", "delete", "hello/none"}, "--yes");
  refused({"deployments", "create", "no-slash"}, "PROJECT/DEPLOYMENT");
  // Nothing was created by any of them.
  EXPECT_TRUE(Yard({"deployments", "list", "hello"})["deployments"].empty());
  EXPECT_TRUE(Lines(Podman({"ps", "-aq", "--filter",
                            "label=io.stackyard.installation=" + installation_}))
                  .empty());
}

}  // namespace
}  // namespace yard
