// Clones with data (docs/deployments.md "Cloning") on the real Podman engine, driven through
// the CLI, with the example stack (examples/hello: a Flask guestbook and the postgres catalog
// add-on). Every container and network a test creates is removed by the test, even on
// failure (DeploymentTestBase).

#include <atomic>

#include "deployment_test_base.h"

namespace yard {
namespace {

class CloneTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("hello", "examples/hello");
  }

  // The container running `service` in the deployment view `d`.
  static std::string ContainerOf(const Json& d, const std::string& service) {
    for (const Json& s : d["status"]["services"]) {
      if (s["id"] == service && s["container"].is_string()) return s["container"];
    }
    return "";
  }

  // Runs SQL in the add-on's container through its local socket (trusted: catalog/postgres).
  std::string Sql(const std::string& container, const std::string& sql) {
    return Podman({"exec", container, "psql", "-U", "app", "-d", "app", "-tAc", sql});
  }

  std::string CodeFile(const std::string& deployment) {
    return server_->data_dir() + "/volumes/hello/" + deployment + "/code/web/templates/index.html";
  }
};

TEST_F(CloneTest, CopiesRowsAndUncommittedEditsWhileTheSourceServes) {
  Json dev = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(dev["status"]["colour"], "green") << dev.dump(2);
  std::string address = WebAddress(dev);
  std::string db = ContainerOf(dev, "db");
  ASSERT_FALSE(db.empty()) << dev.dump(2);
  Sql(db, "CREATE TABLE notes (t text); INSERT INTO notes VALUES ('before the clone')");
  ASSERT_EQ(Sql(db, "SELECT t FROM notes"), "before the clone\n");
  std::string page = MUST(fs::ReadFile(CodeFile("dev")));
  ASSERT_TRUE(fs::AtomicWriteFile(CodeFile("dev"), page + "\n<p>an uncommitted edit</p>\n"));
  ASSERT_NE(PageWith(address, "an uncommitted edit").find("an uncommitted edit"),
            std::string::npos);

  // The source keeps answering while it is cloned: its web server is never paused, and its
  // database only for the copy.
  std::atomic<bool> cloning = true;
  std::atomic<int> answered = 0, refused = 0;
  std::thread client([&] {
    while (cloning) {
      auto response = Http(address, "GET", "/healthz");
      (response ? answered : refused) += 1;
      std::this_thread::sleep_for(20ms);
    }
  });
  ProcessResult cloned =
      RunYardFor(kWait, AsAdmin({"deployments", "clone", "hello/dev", "copy", "--wait", "--json"}));
  cloning = false;
  client.join();
  ASSERT_EQ(cloned.exit_code, 0) << cloned.stderr_data << "\nserver log:\n" << server_->log();
  Json copy = Json::parse(cloned.stdout_data, nullptr, false);
  ASSERT_TRUE(copy.is_object()) << cloned.stdout_data;
  EXPECT_EQ(copy["clone"]["state"], "done") << copy.dump(2);
  EXPECT_EQ(copy["clone"]["source"], "dev");
  EXPECT_GT(copy["clone"]["bytes_total"].get<int64_t>(), 1 << 20) << "a database's files";
  EXPECT_EQ(copy["stage"], "development");
  EXPECT_EQ(copy["status"]["colour"], "green") << copy.dump(2);
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(refused.load(), 0) << "the source stopped answering during the clone";
  // The source's database was frozen during its copy, and the app's health check asks it with
  // a 3 s connect timeout: on a busy machine one check right after may still fail. The source
  // must be healthy again within a bounded time, with nothing restarted.
  int health = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       health != 200 && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(200ms)) {
    auto response = Http(address, "GET", "/healthz");
    health = response ? response->status : 0;
  }
  EXPECT_EQ(health, 200) << "the source is not healthy after the clone";
  EXPECT_EQ(ContainerOf(Yard({"deployments", "show", "hello/dev"}), "db"), db)
      << "the source's database was replaced";

  // The clone has the rows and the edit.
  std::string copy_db = ContainerOf(copy, "db");
  ASSERT_FALSE(copy_db.empty()) << copy.dump(2);
  ASSERT_NE(copy_db, db);
  EXPECT_EQ(Sql(copy_db, "SELECT t FROM notes"), "before the clone\n");
  EXPECT_NE(MUST(fs::ReadFile(CodeFile("copy"))).find("an uncommitted edit"), std::string::npos);
  EXPECT_NE(PageWith(WebAddress(copy), "an uncommitted edit").find("an uncommitted edit"),
            std::string::npos);
  Json shown = Yard({"deployments", "show", "hello/copy"});
  EXPECT_EQ(shown["status"]["code"]["uncommitted"][0], "web/templates/index.html") << shown.dump(2);

  // Changes to one never show in the other.
  Sql(copy_db, "INSERT INTO notes VALUES ('only in the copy')");
  Sql(db, "INSERT INTO notes VALUES ('only in the source')");
  EXPECT_EQ(Sql(db, "SELECT t FROM notes ORDER BY t"), "before the clone\nonly in the source\n");
  EXPECT_EQ(Sql(copy_db, "SELECT t FROM notes ORDER BY t"), "before the clone\nonly in the copy\n");
  ASSERT_TRUE(fs::AtomicWriteFile(CodeFile("copy"), "<p>the copy's own page</p>\n"));
  EXPECT_NE(MUST(fs::ReadFile(CodeFile("dev"))).find("an uncommitted edit"), std::string::npos);
  EXPECT_NE(PageWith(address, "an uncommitted edit").find("an uncommitted edit"),
            std::string::npos);

  // The clone is a deployment like any other: it restarts with its own data.
  copy = Yard({"deployments", "restart", "hello/copy", "--wait"});
  EXPECT_EQ(Sql(ContainerOf(copy, "db"), "SELECT count(*) FROM notes"), "2\n");
}

TEST_F(CloneTest, BadRequestsAreRefusedAndChangeNothing) {
  Json dev = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(dev["status"]["colour"], "green") << dev.dump(2);
  auto refused = [&](std::vector<std::string> args, const std::string& want) {
    ProcessResult result = RunYardFor(60s, AsAdmin(args));
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.stderr_data.find(want), std::string::npos) << result.stderr_data;
  };
  refused({"deployments", "clone", "hello/dev", "dev"}, "already exists");
  refused({"deployments", "clone", "hello/dev", "x", "--stage", "nope"}, "no stage 'nope'");
  refused({"deployments", "clone", "hello/none", "x"}, "no deployment 'none'");
  refused({"deployments", "clone", "hello/dev", "Bad_Name"}, "deployment");
  refused({"deployments", "clone", "hello/dev", "other/x"}, "stays in its source's project");
  refused({"deployments", "clone", "nothing/dev", "x"}, "no project named 'nothing'");
  Json listed = Yard({"deployments", "list", "hello"});
  ASSERT_EQ(listed["deployments"].size(), 1u) << listed.dump(2);
  EXPECT_FALSE(fs::Exists(server_->data_dir() + "/volumes/hello/x"));
}

}  // namespace
}  // namespace yard
