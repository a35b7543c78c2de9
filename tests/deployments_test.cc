// Deployments end to end on the real Podman engine, driven through the CLI as users do, with
// the example stack (examples/hello: a Flask guestbook and the postgres catalog add-on).
// The first test to run builds the images (a few minutes on a cold machine); later ones reuse
// them. Every container and network a test creates is removed by the test, even on failure.

#include <gmock/gmock.h>

#include "deployment_test_base.h"

namespace yard {
namespace {

class DeploymentsTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("hello", "examples/hello");
  }
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

TEST_F(DeploymentsTest, DevelopmentDeploymentTakesPushesWhenCleanAndKeepsLocalEdits) {
  Json d = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::string address = WebAddress(d);
  std::string code = server_->data_dir() + "/volumes/hello/dev/code";

  // A push while the code volume is clean: it fast-forwards, and the dev server shows it.
  std::string page_path = source_ + "/web/templates/index.html";
  std::string page = MUST(fs::ReadFile(page_path));
  git::testing::WriteFile(source_, "web/templates/index.html", page + "\n<p>pushed to main</p>\n");
  git::testing::CommitAll(source_, "a pushed change", 1'700'000'100);
  Yard({"projects", "refresh", "hello"});
  EXPECT_NE(PageWith(address, "pushed to main").find("pushed to main"), std::string::npos);
  d = Yard({"deployments", "show", "hello/dev", "--wait"});
  EXPECT_EQ(d["status"]["code"]["state"], "fast_forwarded") << d.dump(2);

  // Someone edits in the code volume; the next push is not applied, and the status says why.
  std::string edited = code + "/web/templates/index.html";
  std::string local = MUST(fs::ReadFile(edited)) + "\n<p>a local edit</p>\n";
  ASSERT_TRUE(fs::AtomicWriteFile(edited, local));
  git::testing::WriteFile(source_, "web/NOTES.md", "pushed while someone was editing\n");
  git::testing::CommitAll(source_, "another change", 1'700'000'200);
  Yard({"projects", "refresh", "hello"});
  auto deadline = std::chrono::steady_clock::now() + 2min;
  while (std::chrono::steady_clock::now() < deadline) {
    d = Yard({"deployments", "show", "hello/dev"});
    if (d["status"]["code"]["state"] == "diverged") break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_EQ(d["status"]["code"]["state"], "diverged") << d.dump(2);
  EXPECT_EQ(d["status"]["code"]["behind"], 1) << d.dump(2);
  EXPECT_EQ(d["status"]["code"]["uncommitted"][0], "web/templates/index.html") << d.dump(2);
  EXPECT_EQ(MUST(fs::ReadFile(edited)), local) << "the local edit is intact";
  EXPECT_FALSE(fs::Exists(code + "/web/NOTES.md")) << "nothing was brought in";
  EXPECT_NE(PageWith(address, "a local edit").find("a local edit"), std::string::npos);
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
                               "  print('reached')\nexcept Exception as e:\n  print('blocked:', e)",
                               host)});
  };
  // Its own database is the control: it shows that the probe can reach a database at all.
  // Right after `b` was made, the engine's DNS may still be reloading its networks, so the
  // name may take a few tries to resolve.
  std::string own;
  for (int attempt = 0; attempt < 10; ++attempt) {
    own = probe("db");
    if (own == "reached\n") break;
    std::this_thread::sleep_for(1s);
  }
  ASSERT_EQ(own, "reached\n") << "its own database, by name";
  EXPECT_THAT(probe(b_ip), ::testing::StartsWith("blocked"))
      << "the other deployment's database, by address";
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
  refused({"deployments", "delete", "hello/none", "--yes"}, "no deployment 'none'");
  refused({"deployments", "create", "no-slash"}, "PROJECT/DEPLOYMENT");
  // Nothing was created by any of them.
  EXPECT_TRUE(Yard({"deployments", "list", "hello"})["deployments"].empty());
  EXPECT_TRUE(Lines(Podman({"ps", "-aq", "--filter",
                            "label=io.stackyard.installation=" + installation_}))
                  .empty());
}

}  // namespace
}  // namespace yard
