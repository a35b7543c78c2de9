// Preview deployments end to end, on the real Podman engine, Caddy and the SSH gateway: with
// previews on, `git push` of a new matching branch over SSH makes a deployment of it, which
// builds and answers over HTTPS; `git push origin :branch` deletes it.

#include "edge_site_fixture.h"
#include "testing/temp_dir.h"

namespace yard {
namespace {

class PreviewDeploymentsTest : public EdgeSiteTest {
 protected:
  // Not EdgeSiteTest::SetUp: the project here is hosted, and receives pushes over SSH.
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    installation_ = MUST(fs::ReadFile(server_->data_dir() + "/installation.id"));
    installation_.erase(installation_.find_last_not_of("\n") + 1);
    project_ = "shop";
    source_ = sources_.path() + "/shop";
    std::filesystem::copy(std::string(YARD_SOURCE_DIR) + "/tests/testdata/edge-site", source_,
                          std::filesystem::copy_options::recursive);
    git::testing::InitSource(source_);
    git::testing::CommitAll(source_, "the stack", 1'700'000'000);
    Yard({"projects", "create", project_});

    key_ = keys_.File("admin");
    RunTool({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", key_});
    Yard({"keys", "add", key_ + ".pub", "--name", "laptop"});
    // The gateway's host keys, from GET /api/v1/ssh.
    http::Client client(MUST(http::Endpoint::Parse(server_->url())));
    auto info = client.Send({.target = "/api/v1/ssh",
                             .headers = {{"Authorization", "Bearer " + server_->admin_token()}}},
                            10s);
    ASSERT_TRUE(info && info->status == 200);
    Json ssh = Json::parse(info->body);
    std::string known_hosts;
    for (const Json& key : ssh["host_keys"]) {
      known_hosts += fmt::format("[127.0.0.1]:{} {}\n", server_->ssh_port(),
                                 key.get<std::string>());
    }
    MUST(fs::AtomicWriteFile(keys_.File("known_hosts"), known_hosts, 0600));
    ProcessResult pushed = Git({"push", Url(), "main"});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.stderr_data;
  }

  // git -C SOURCE ARGS over the gateway, with this test's key and known hosts only.
  ProcessResult Git(std::vector<std::string> args) {
    std::string ssh = fmt::format(
        "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o BatchMode=yes "
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
        key_, keys_.File("known_hosts"));
    std::vector<std::string> argv = {"env", "GIT_SSH_COMMAND=" + ssh, "git", "-C", source_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv);
  }
  std::string Url() {
    return fmt::format("ssh://git@127.0.0.1:{}/{}.git", server_->ssh_port(), project_);
  }

  Json Deployments() { return Yard({"deployments", "list", project_})["deployments"]; }

  testing::TempDir keys_;
  std::string key_;
};

TEST_F(PreviewDeploymentsTest, ANewBranchGetsAPreviewThatAnswersAndGoesWithTheBranch) {
  Json set = Yard({"projects", "previews", project_, "--pattern", "feature/*", "--stage",
                   "staging", "--expire", "1d"});
  EXPECT_EQ(set["previews"]["pattern"], "feature/*") << set.dump(2);
  EXPECT_EQ(set["previews"]["expire_after"], "1d");
  EXPECT_TRUE(Deployments().empty()) << "main does not match";

  // A new branch, pushed over SSH: its preview exists when the push returns.
  git::testing::Git(source_, {"checkout", "-q", "-b", "feature/x"});
  git::testing::WriteFile(source_, "web/Dockerfile", Dockerfile("preview-x", true));
  git::testing::CommitAll(source_, "feature x", 1'700'000'100);
  ProcessResult pushed = Git({"push", Url(), "feature/x"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.stderr_data;
  Json listed = Deployments();
  ASSERT_EQ(listed.size(), 1u) << listed.dump(2) << "\nserver log:\n" << server_->log();
  EXPECT_EQ(listed[0]["name"], "preview-feature-x");
  EXPECT_EQ(listed[0]["stage"], "staging");
  EXPECT_EQ(listed[0]["preview"]["branch"], "feature/x");
  EXPECT_TRUE(listed[0]["preview"]["expires_at"].is_string());

  // It builds the branch and answers over HTTPS.
  Json d = Yard({"deployments", "show", project_ + "/preview-feature-x", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  EXPECT_EQ(BodyWith(Target(AppHost(d)), "/", "version preview-x"), "version preview-x\n");

  // Deleting the branch deletes the preview.
  ProcessResult deleted = Git({"push", Url(), ":feature/x"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.stderr_data;
  auto deadline = std::chrono::steady_clock::now() + 2min;
  while (!Deployments().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(Deployments().empty()) << Deployments().dump(2) << "\nserver log:\n"
                                     << server_->log();
  EXPECT_TRUE(ContainersOf("web").empty());
}

}  // namespace
}  // namespace yard
