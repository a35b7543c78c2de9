// Deleting, restoring and purging, and the automatic stop, end to end on the real Podman
// engine through the CLI: a file written in a storage volume through the container survives
// a delete and a restore; with a short retention the trash empties itself; a deployment
// enabled for a few seconds stops by itself.

#include <thread>

#include "deployment_test_base.h"

namespace yard {
namespace {

class TrashTest : public DeploymentTestBase {
 protected:
  std::vector<std::string> ExtraArgs() override { return extra_args_; }

  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("keep", "tests/testdata/trash-site");
  }

  // The one running container of `app`.
  std::string AppContainer() {
    std::vector<std::string> containers = ContainersOf("app");
    EXPECT_EQ(containers.size(), 1u);
    return containers.empty() ? "" : containers[0];
  }

  Json Trash() { return Yard({"trash", "list", "keep"})["trash"]; }

  std::vector<std::string> extra_args_;
};

TEST_F(TrashTest, DeleteKeepsTheDataInTheTrashAndRestoreBringsItBack) {
  Yard({"deployments", "create", "keep/prod", "--stage", "production", "--wait"});
  Podman({"exec", AppContainer(), "sh", "-c", "echo kept > /data/file"});
  EXPECT_EQ(Podman({"exec", AppContainer(), "cat", "/data/file"}), "kept\n");

  // A production deployment: no terminal, no --yes, no delete.
  ProcessResult refused = RunYardFor(30s, AsAdmin({"deployments", "delete", "keep/prod"}));
  EXPECT_EQ(refused.exit_code, 2) << refused.stderr_data;
  EXPECT_NE(refused.stderr_data.find("needs confirmation"), std::string::npos)
      << refused.stderr_data;
  EXPECT_EQ(ContainersOf("app").size(), 1u);

  Json deleted = Yard({"deployments", "delete", "keep/prod", "--yes", "--wait"});
  ASSERT_TRUE(deleted["trash"].is_object()) << deleted;
  EXPECT_TRUE(ContainersOf("app").empty());
  Json trash = Trash();
  ASSERT_EQ(trash.size(), 1u) << trash;
  EXPECT_EQ(trash[0]["name"], "prod");
  EXPECT_EQ(trash[0]["has_data"], true);
  std::string path = trash[0]["path"];
  EXPECT_EQ(MUST(fs::ReadFile(path + "/data/app/data/file")), "kept\n");
  EXPECT_FALSE(fs::Exists(server_->data_dir() + "/volumes/keep/prod"));

  Json restored = Yard({"trash", "restore", "keep", "prod", "--wait"});
  EXPECT_EQ(restored["data"], true) << restored;
  EXPECT_EQ(restored["deployment"]["status"]["phase"], "running");
  EXPECT_EQ(Podman({"exec", AppContainer(), "cat", "/data/file"}), "kept\n");
  EXPECT_TRUE(Trash().empty());
  EXPECT_FALSE(fs::Exists(path));

  // Restoring what is not there, or onto a taken name, changes nothing.
  ProcessResult missing = RunYardFor(30s, AsAdmin({"trash", "restore", "keep", "prod"}));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.stderr_data.find("has no deployment 'prod' in the trash"), std::string::npos)
      << missing.stderr_data;
}

TEST_F(TrashTest, AfterTheRetentionTheTrashIsEmpty) {
  extra_args_ = {"--trash-retention", "3s"};
  RestartServer(/*kill=*/false);
  Yard({"deployments", "create", "keep/prod", "--stage", "production", "--wait"});
  Podman({"exec", AppContainer(), "sh", "-c", "echo gone > /data/file"});
  Yard({"deployments", "delete", "keep/prod", "--yes", "--wait"});

  // Gone by itself: the entry, and everything in DATA_DIR/trash.
  std::string trash_dir = server_->data_dir() + "/trash";
  auto deadline = std::chrono::steady_clock::now() + 2min;
  bool empty = false;
  while (!empty && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    empty = Trash().empty() && (!fs::Exists(trash_dir) ||
                                std::filesystem::is_empty(std::filesystem::path(trash_dir)));
  }
  EXPECT_TRUE(empty) << "server log:\n" << server_->log();
  EXPECT_FALSE(fs::Exists(server_->data_dir() + "/volumes/keep/prod"));
  ProcessResult missing = RunYardFor(30s, AsAdmin({"trash", "restore", "keep", "prod"}));
  EXPECT_NE(missing.exit_code, 0);
}

TEST_F(TrashTest, EnabledForAWhileItStopsByItself) {
  Yard({"deployments", "create", "keep/dev", "--stage", "production", "--wait"});
  Json enabled = Yard({"deployments", "enable", "keep/dev", "--for", "5s"});
  ASSERT_TRUE(enabled["stop_at"].is_string()) << enabled;

  auto deadline = std::chrono::steady_clock::now() + 2min;
  Json d;
  while (std::chrono::steady_clock::now() < deadline) {
    d = Yard({"deployments", "show", "keep/dev"});
    if (d["desired"] == "stopped" && ContainersOf("app").empty()) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(d["desired"], "stopped") << d;
  EXPECT_TRUE(ContainersOf("app").empty());
  ASSERT_FALSE(d["status"]["reasons"].empty()) << d;
  EXPECT_NE(d["status"]["reasons"][0].get<std::string>().find("stopped automatically"),
            std::string::npos)
      << d["status"]["reasons"];

  // Enabled until stopped; disabled keeps its storage and runs nothing.
  Json again = Yard({"deployments", "enable", "keep/dev", "--for", "never", "--wait"});
  EXPECT_TRUE(again["stop_at"].is_null()) << again;
  EXPECT_EQ(ContainersOf("app").size(), 1u);
  Yard({"deployments", "disable", "keep/dev"});
  deadline = std::chrono::steady_clock::now() + 2min;
  while (!ContainersOf("app").empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(ContainersOf("app").empty());
  EXPECT_TRUE(fs::Exists(server_->data_dir() + "/volumes/keep/dev/data/app/data"));
}

}  // namespace
}  // namespace yard
