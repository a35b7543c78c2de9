// The SSH gateway end to end: the real OpenSSH client (ssh, scp, sftp, git) through
// `yard server`'s gateway into deployments on the real Podman engine.

#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "deployment_test_base.h"
#include "testing/temp_dir.h"

namespace yard {
namespace {

using ::testing::HasSubstr;

// The stack of tests/testdata/ssh-site: `web` (primary; health on 8000, a greeting on the
// container's 127.0.0.1:7000, sftp-server), `bare` (no sftp-server), add-on `db` (postgres).
class SshTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("ssh", "tests/testdata/ssh-site");
    key_ = MakeKey("admin");
    Yard({"keys", "add", key_ + ".pub", "--name", "laptop"});
    known_hosts_ = keys_.File("known_hosts");
    std::string lines;
    Json info = SshInfo();
    for (const Json& key : info["host_keys"]) {
      lines += fmt::format("[127.0.0.1]:{} {}\n", server_->ssh_port(), key.get<std::string>());
    }
    MUST(fs::AtomicWriteFile(known_hosts_, lines, 0600));
  }

  // GET /api/v1/ssh as the admin.
  Json SshInfo() {
    http::Client client(MUST(http::Endpoint::Parse(server_->url())));
    auto response = client.Send(
        {.target = "/api/v1/ssh",
         .headers = {{"Authorization", "Bearer " + server_->admin_token()}}},
        10s);
    EXPECT_TRUE(response && response->status == 200);
    return response ? Json::parse(response->body, nullptr, false) : Json();
  }

  std::string MakeKey(const std::string& name) {
    std::string path = keys_.File(name);
    RunTool({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path});
    return path;
  }

  // The options every OpenSSH tool here gets: this test's key and known_hosts only.
  std::vector<std::string> Options(const std::string& key) {
    return {"-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "UserKnownHostsFile=" + known_hosts_, "-o", "StrictHostKeyChecking=yes"};
  }

  ProcessResult Ssh(const std::string& user, std::vector<std::string> args,
                    std::vector<std::string> options = {}, const std::string& key = "") {
    std::vector<std::string> argv = {"ssh"};
    for (const std::string& option : Options(key.empty() ? key_ : key)) argv.push_back(option);
    argv.insert(argv.end(), {"-p", std::to_string(server_->ssh_port())});
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(user + "@127.0.0.1");
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv);
  }

  testing::TempDir keys_;
  std::string key_;
  std::string known_hosts_;
};

TEST_F(SshTest, ShellExecCopiesAndForwardsInADevelopmentDeployment) {
  Json d = Yard({"deployments", "create", "ssh/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["phase"], "running") << d.dump(2);
  ASSERT_TRUE(d["ssh"].is_object()) << d.dump(2);
  EXPECT_EQ(d["ssh"]["user"], "dev.ssh");
  EXPECT_EQ(d["ssh"]["command"],
            fmt::format("ssh -p {} dev.ssh@localhost", server_->ssh_port()));

  // A command: output, stderr and exit status; the code folder as working directory.
  auto command = Ssh("dev.ssh", {"pwd; echo oops >&2; exit 3"});
  EXPECT_EQ(command.exit_code, 3) << command.stderr_data;
  EXPECT_EQ(command.stdout_data, "/app/web\n");
  EXPECT_THAT(command.stderr_data, HasSubstr("oops"));

  // An interactive login shell, driven by scripted input: the right container and folder.
  auto shell = RunTool(
      [&] {
        std::vector<std::string> argv = {"ssh"};
        for (const std::string& option : Options(key_)) argv.push_back(option);
        argv.insert(argv.end(), {"-tt", "-p", std::to_string(server_->ssh_port()),
                                 "dev.ssh@127.0.0.1"});
        return argv;
      }(),
      "echo \"in $STACKYARD_SERVICE at $(pwd)\"; exit 4\n");
  EXPECT_EQ(shell.exit_code, 4) << shell.stderr_data;
  EXPECT_THAT(shell.stdout_data, HasSubstr("in web at /app/web"));

  // A terminal with its size, and input through it.
  auto terminal = Ssh("dev.ssh", {"stty size; tty"}, {"-tt"});
  EXPECT_EQ(terminal.exit_code, 0) << terminal.stderr_data;
  EXPECT_THAT(terminal.stdout_data, HasSubstr("24 80"));
  EXPECT_THAT(terminal.stdout_data, HasSubstr("/dev/pts/"));

  // An add-on by name: psql is one ssh away.
  auto db = Ssh("db.dev.ssh", {"pg_isready -q && echo ready"});
  EXPECT_EQ(db.exit_code, 0) << db.stderr_data;
  EXPECT_EQ(db.stdout_data, "ready\n");

  // scp both ways (the SFTP protocol), then an sftp listing.
  std::string payload(1 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 7919) % 251);
  std::string local = keys_.File("payload.bin");
  MUST(fs::AtomicWriteFile(local, payload, 0644));
  std::vector<std::string> scp = {"scp", "-q"};
  for (const std::string& option : Options(key_)) scp.push_back(option);
  scp.insert(scp.end(), {"-P", std::to_string(server_->ssh_port())});
  auto upload = scp;
  upload.insert(upload.end(), {local, "dev.ssh@127.0.0.1:/tmp/payload.bin"});
  auto uploaded = RunTool(upload);
  ASSERT_EQ(uploaded.exit_code, 0) << uploaded.stderr_data;
  auto download = scp;
  download.insert(download.end(), {"dev.ssh@127.0.0.1:/tmp/payload.bin", keys_.File("back.bin")});
  auto downloaded = RunTool(download);
  ASSERT_EQ(downloaded.exit_code, 0) << downloaded.stderr_data;
  EXPECT_TRUE(MUST(fs::ReadFile(keys_.File("back.bin"), 4 << 20)) == payload);
  std::vector<std::string> sftp = {"sftp", "-b", "-"};
  for (const std::string& option : Options(key_)) sftp.push_back(option);
  sftp.insert(sftp.end(), {"-P", std::to_string(server_->ssh_port()), "dev.ssh@127.0.0.1"});
  auto listing = MUST(RunProcess({.argv = sftp, .stdin_data = "ls /app/web\n", .timeout = 60s}));
  EXPECT_EQ(listing.exit_code, 0) << listing.stderr_data;
  EXPECT_THAT(listing.stdout_data, HasSubstr("server.pl"));

  // No sftp-server in `bare`: the client is told what to install.
  std::vector<std::string> bare_sftp = sftp;
  bare_sftp.back() = "bare.dev.ssh@127.0.0.1";
  auto bare = MUST(RunProcess({.argv = bare_sftp, .stdin_data = "ls\n", .timeout = 60s}));
  EXPECT_NE(bare.exit_code, 0);
  EXPECT_THAT(bare.stderr_data, HasSubstr("openssh-sftp-server"));

  // -W to a port open on the container's loopback only, and to the add-on by its id
  // (PostgreSQL answers an SSLRequest with 'N').
  auto greeting = MUST(RunProcess(
      {.argv = [&] {
         std::vector<std::string> argv = {"ssh"};
         for (const std::string& option : Options(key_)) argv.push_back(option);
         argv.insert(argv.end(), {"-p", std::to_string(server_->ssh_port()), "-W",
                                  "localhost:7000", "dev.ssh@127.0.0.1"});
         return argv;
       }(),
       .stdin_data = "",
       .timeout = 60s}));
  EXPECT_EQ(greeting.stdout_data, "hello from the container's localhost\n") << greeting.stderr_data;
  auto postgres = MUST(RunProcess(
      {.argv = [&] {
         std::vector<std::string> argv = {"ssh"};
         for (const std::string& option : Options(key_)) argv.push_back(option);
         argv.insert(argv.end(), {"-p", std::to_string(server_->ssh_port()), "-W", "db:5432",
                                  "dev.ssh@127.0.0.1"});
         return argv;
       }(),
       .stdin_data = std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8),
       .timeout = 60s}));
  EXPECT_EQ(postgres.stdout_data, "N") << postgres.stderr_data;
  // ssh -L: a local port that leads to the container's loopback, as IDEs use it.
  int local_port = MUST(testing::FreePort());
  std::vector<std::string> tunnel_argv = {"ssh"};
  for (const std::string& option : Options(key_)) tunnel_argv.push_back(option);
  tunnel_argv.insert(tunnel_argv.end(),
                     {"-N", "-o", "ExitOnForwardFailure=yes", "-L",
                      fmt::format("127.0.0.1:{}:localhost:7000", local_port), "-p",
                      std::to_string(server_->ssh_port()), "dev.ssh@127.0.0.1"});
  Subprocess::Spawn spawn;
  spawn.options.argv = tunnel_argv;
  spawn.options.die_with_parent = true;
  auto tunnel = MUST(Subprocess::Start(spawn));
  std::string through_tunnel;
  for (int attempt = 0; attempt < 100 && through_tunnel.empty(); ++attempt) {
    through_tunnel =
        RunTool({"bash", "-c", fmt::format("exec 3<>/dev/tcp/127.0.0.1/{} && cat <&3", local_port)})
            .stdout_data;
    if (through_tunnel.empty()) std::this_thread::sleep_for(100ms);
  }
  tunnel.Terminate(2s);
  EXPECT_EQ(through_tunnel, "hello from the container's localhost\n");

  // Nothing outside the deployment.
  auto outside = Ssh("dev.ssh", {}, {"-W", "10.0.0.1:80"});
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_THAT(outside.stderr_data, HasSubstr("administratively prohibited"));

  // What IDEs read: `yard ssh-config` entries work as they are (with this test's key).
  auto config = RunYardFor(30s, AsAdmin({"ssh-config", "ssh"}));
  ASSERT_EQ(config.exit_code, 0) << config.stderr_data;
  EXPECT_THAT(config.stdout_data, HasSubstr("Host dev.ssh.yard"));
  EXPECT_THAT(config.stdout_data, HasSubstr("Host db.dev.ssh.yard"));
  std::string config_file = keys_.File("ssh_config");
  MUST(fs::AtomicWriteFile(config_file, config.stdout_data, 0600));
  auto via_config = RunTool({"ssh", "-F", config_file, "-i", key_, "-o", "IdentitiesOnly=yes",
                             "-o", "BatchMode=yes", "db.dev.ssh.yard", "echo $STACKYARD_SERVICE"});
  EXPECT_EQ(via_config.exit_code, 0) << via_config.stderr_data;
  EXPECT_EQ(via_config.stdout_data, "db\n");
  auto printed = RunYardFor(30s, AsAdmin({"ssh", "ssh/dev", "--print"}));
  EXPECT_EQ(printed.exit_code, 0) << printed.stderr_data;
  EXPECT_THAT(printed.stdout_data, HasSubstr(fmt::format("-p {}", server_->ssh_port())));
  EXPECT_THAT(printed.stdout_data, HasSubstr("dev.ssh@localhost"));

  // Twenty sessions at once.
  constexpr int kSessions = 20;
  std::vector<ProcessResult> results(kSessions);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] { results[i] = Ssh("dev.ssh", {"sleep 1; echo ok"}); });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kSessions; ++i) {
    EXPECT_EQ(results[i].exit_code, 0) << i << ": " << results[i].stderr_data;
    EXPECT_EQ(results[i].stdout_data, "ok\n") << i;
  }
}

TEST_F(SshTest, StrangersOutsidersAndWrongNamesAreRefusedClearly) {
  Yard({"deployments", "create", "ssh/dev", "--stage", "development", "--wait"});
  // A key nobody registered.
  auto stranger = Ssh("dev.ssh", {"true"}, {}, MakeKey("stranger"));
  EXPECT_EQ(stranger.exit_code, 255);
  EXPECT_THAT(stranger.stderr_data, HasSubstr("not registered"));
  // A user who is not a member of the project.
  Json bob = Yard({"users", "create", "bob"});
  std::string bob_key = MakeKey("bob");
  auto added = RunYardFor(30s, As(bob["secret"], {"keys", "add", bob_key + ".pub"}));
  ASSERT_EQ(added.exit_code, 0) << added.stderr_data;
  auto outsider = Ssh("dev.ssh", {"true"}, {}, bob_key);
  EXPECT_EQ(outsider.exit_code, 255);
  EXPECT_THAT(outsider.stderr_data, HasSubstr("bob is not a member of a project named 'ssh'"));
  // Made a member, the same key gets in.
  Yard({"projects", "members", "add", "ssh", "bob"});
  auto member = Ssh("dev.ssh", {"echo in"}, {}, bob_key);
  EXPECT_EQ(member.exit_code, 0) << member.stderr_data;
  EXPECT_EQ(member.stdout_data, "in\n");
  // A deployment that does not exist, and a component that does not.
  auto nowhere = Ssh("prod.ssh", {"true"});
  EXPECT_EQ(nowhere.exit_code, 255);
  EXPECT_THAT(nowhere.stderr_data, HasSubstr("has no deployment named 'prod'"));
  auto no_component = Ssh("cache.dev.ssh", {"true"});
  EXPECT_EQ(no_component.exit_code, 1);
  EXPECT_THAT(no_component.stderr_data, HasSubstr("has no component or add-on 'cache'"));
  // Garbage and cut handshakes on the port: the server keeps serving the API and the gateway.
  for (int i = 0; i < 5; ++i) {
    std::string junk = i % 2 ? std::string("SSH-2.0-x\r\n") + std::string(5000, '\x7f')
                              : std::string(20000, static_cast<char>('A' + i));
    RunTool({"bash", "-c", fmt::format("exec 3<>/dev/tcp/127.0.0.1/{} && cat >&3 && sleep 0.2",
                                       server_->ssh_port())},
            junk);
  }
  auto health = RunYardFor(30s, AsAdmin({"whoami"}));
  EXPECT_EQ(health.exit_code, 0) << health.stderr_data;
  auto again = Ssh("dev.ssh", {"echo fine"});
  EXPECT_EQ(again.stdout_data, "fine\n") << again.stderr_data;
}

// git over ssh://git@HOST:PORT/PROJECT.git, as `git` runs it (GIT_SSH_COMMAND).
class SshGitTest : public SshTest {
 protected:
  ProcessResult Git(const std::string& dir, std::vector<std::string> args,
                    const std::string& key = "") {
    std::vector<std::string> ssh = {"ssh"};
    for (const std::string& option : Options(key.empty() ? key_ : key)) ssh.push_back(option);
    std::vector<std::string> argv = {"env", "GIT_SSH_COMMAND=" + fmt::format("{}", fmt::join(ssh, " ")),
                                     "git", "-C", dir};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv);
  }
  std::string Url(const std::string& project) {
    return fmt::format("ssh://git@127.0.0.1:{}/{}.git", server_->ssh_port(), project);
  }
  static std::string Head(const std::string& dir) {
    std::string head = RunTool({"git", "-C", dir, "rev-parse", "HEAD"}).stdout_data;
    while (!head.empty() && head.back() == '\n') head.pop_back();
    return head;
  }
};

TEST_F(SshGitTest, PushThenCloneRoundTripsAndProtectedBranchesHold) {
  Yard({"projects", "create", "shop"});
  // The pushed repository: this test's stack source, whose history is one commit on main.
  auto pushed = Git(source_, {"push", Url("shop"), "main"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.stderr_data;
  Json pushes = Yard({"projects", "pushes", "shop"});
  ASSERT_EQ(pushes["pushes"].size(), 1u) << pushes.dump(2);
  EXPECT_EQ(pushes["pushes"][0]["ref"], "refs/heads/main");
  EXPECT_EQ(pushes["pushes"][0]["new_commit"], Head(source_));
  EXPECT_EQ(pushes["pushes"][0]["user"], "admin");
  EXPECT_EQ(pushes["pushes"][0]["forced"], false);

  // A clone elsewhere has the same head.
  std::string clone = keys_.File("clone");
  auto cloned = Git(keys_.path(), {"clone", Url("shop"), clone});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.stderr_data;
  EXPECT_EQ(Head(clone), Head(source_));
  // The project reads the pushed stack like any other.
  Json shown = Yard({"projects", "show", "shop"});
  EXPECT_NE(shown.dump().find("main"), std::string::npos) << shown.dump(2);

  // main protected: rewriting it is refused, and says why; a new branch is fine.
  Yard({"projects", "protect", "shop", "main"});
  git::testing::WriteFile(source_, "README", "rewritten\n");
  RunTool({"git", "-C", source_, "add", "-A"});
  RunTool({"git", "-C", source_, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
           "-q", "--amend", "-m", "rewritten"});
  auto forced = Git(source_, {"push", "--force", Url("shop"), "main"});
  EXPECT_NE(forced.exit_code, 0);
  EXPECT_THAT(forced.stderr_data, HasSubstr("refusing a force-push to protected branch main"));
  auto branch = Git(source_, {"push", Url("shop"), "main:topic"});
  EXPECT_EQ(branch.exit_code, 0) << branch.stderr_data;
  EXPECT_EQ(Yard({"projects", "pushes", "shop"})["pushes"].size(), 2u);

  // A mirrored project takes no pushes, and says where to push; strangers see nothing.
  auto mirror = Git(source_, {"push", Url("ssh"), "main:other"});
  EXPECT_NE(mirror.exit_code, 0);
  EXPECT_THAT(mirror.stderr_data, HasSubstr("push there"));
  auto stranger = Git(keys_.path(), {"clone", Url("shop"), keys_.File("nope")}, MakeKey("x"));
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_THAT(stranger.stderr_data, HasSubstr("not registered"));
}

// From inside a development deployment, git pulls from and pushes to its own project with the
// credential the platform gives the containers; the push deploys like any other.
TEST_F(SshGitTest, GitInsideADevelopmentDeploymentCommitsAndPushesToItsProject) {
  Yard({"projects", "create", "shop"});
  auto pushed = Git(source_, {"push", Url("shop"), "main"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.stderr_data;
  Json d = Yard({"deployments", "create", "shop/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["phase"], "running") << d.dump(2);

  // The checkout's origin is the project, as the container reaches it.
  auto remote = Ssh("dev.shop", {"git -C /app remote get-url origin"});
  EXPECT_EQ(remote.exit_code, 0) << remote.stderr_data;
  EXPECT_THAT(remote.stdout_data, HasSubstr("http://stackyard.internal:")) << server_->log();
  EXPECT_THAT(remote.stdout_data, HasSubstr("/shop.git"));

  auto committed = Ssh(
      "dev.shop",
      {"cd /app && echo 'from inside' > NOTES.md && git add NOTES.md && "
       "git -c user.name=Dev -c user.email=dev@example.com commit -q -m 'from inside' && "
       "git pull -q --ff-only && git push -q origin HEAD:main && git rev-parse HEAD"});
  ASSERT_EQ(committed.exit_code, 0) << committed.stdout_data << committed.stderr_data;
  std::string commit = committed.stdout_data.substr(0, committed.stdout_data.find('\n'));

  // The project has it, recorded as the push of the deployment's creator.
  std::string clone = keys_.File("clone");
  auto cloned = Git(keys_.path(), {"clone", "-q", Url("shop"), clone});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.stderr_data;
  EXPECT_EQ(Head(clone), commit);
  EXPECT_EQ(MUST(fs::ReadFile(clone + "/NOTES.md")), "from inside\n");
  Json pushes = Yard({"projects", "pushes", "shop"});
  ASSERT_EQ(pushes["pushes"].size(), 2u) << pushes.dump(2);
  EXPECT_EQ(pushes["pushes"][0]["new_commit"], commit) << pushes.dump(2);
  EXPECT_EQ(pushes["pushes"][0]["user"], "admin");

  // The deployment follows its branch to that commit, and its code volume already has it.
  auto deadline = std::chrono::steady_clock::now() + 2min;
  while (std::chrono::steady_clock::now() < deadline) {
    d = Yard({"deployments", "show", "shop/dev"});
    if (d["status"]["code"]["head"] == commit && d["status"]["code"]["state"] == "up_to_date") {
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(d["status"]["code"]["head"], commit) << d.dump(2);
  EXPECT_EQ(d["status"]["code"]["state"], "up_to_date") << d.dump(2);

  // Without the platform's credential, the project's Git refuses the container.
  auto anonymous = Ssh("dev.shop", {"env -u GIT_CONFIG_COUNT git ls-remote origin"});
  EXPECT_NE(anonymous.exit_code, 0);
}

}  // namespace
}  // namespace yard