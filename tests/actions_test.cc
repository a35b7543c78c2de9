// Actions and one-off commands end to end on the real Podman engine through the CLI
// (docs/deployments.md "Actions and one-off commands"), with tests/testdata/action-site: a
// named action prints its output live and yard exits with its exit code (0 and 3), the output
// is kept (`yard action logs`), one not offered in the stage is refused, `yard exec` passes
// a command's output and exit code on (7), redeploy replaces the container from the same
// release, and a stopped deployment refuses commands clearly.

#include "deployment_test_base.h"

namespace yard {
namespace {

class ActionsTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("acts", "tests/testdata/action-site");
  }

  // `yard ARGS` as the admin, the global flags first: whatever follows `--` is the command's.
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", server_->url(), "--token", server_->admin_token()});
    return RunYardFor(kWait, args);
  }
};

TEST_F(ActionsTest, ActionsAndCommandsPrintTheirOutputAndExitWithTheirCode) {
  Json d = Yard({"deployments", "create", "acts/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);

  Json listed = Yard({"action", "list", "acts/prod"});
  ASSERT_EQ(listed["actions"].size(), 3u) << listed.dump(2);
  EXPECT_EQ(listed["actions"][0]["id"], "greet");
  EXPECT_EQ(listed["actions"][0]["available"], true);
  EXPECT_EQ(listed["actions"][2]["available"], false);

  // A succeeding action: its lines, stdout and stderr apart, and exit code 0.
  ProcessResult greet = Run({"action", "run", "acts/prod", "greet"});
  EXPECT_EQ(greet.exit_code, 0) << greet.stderr_data << "\nserver log:\n" << server_->log();
  EXPECT_EQ(greet.stdout_data, "hello from the action\nbye\n");
  EXPECT_NE(greet.stderr_data.find("a warning"), std::string::npos) << greet.stderr_data;

  // A failing one: its output, and its exit code becomes yard's.
  ProcessResult broken = Run({"action", "run", "acts/prod", "broken"});
  EXPECT_EQ(broken.exit_code, 3) << broken.stderr_data;
  EXPECT_EQ(broken.stdout_data, "about to fail\n");

  // Not offered in this stage, or not there at all: refused, saying why.
  ProcessResult elsewhere = Run({"action", "run", "acts/prod", "dev-only"});
  EXPECT_EQ(elsewhere.exit_code, 1);
  EXPECT_NE(elsewhere.stderr_data.find("it runs in: development"), std::string::npos)
      << elsewhere.stderr_data;
  ProcessResult unknown = Run({"action", "run", "acts/prod", "deploy"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.stderr_data.find("greet, broken, dev-only"), std::string::npos)
      << unknown.stderr_data;

  // The runs are recorded, newest first, and their output kept.
  listed = Yard({"action", "list", "acts/prod"});
  ASSERT_EQ(listed["runs"].size(), 2u) << listed.dump(2);
  EXPECT_EQ(listed["runs"][0]["action"], "broken");
  EXPECT_EQ(listed["runs"][0]["state"], "failed");
  EXPECT_EQ(listed["runs"][0]["exit_code"], 3);
  EXPECT_EQ(listed["runs"][1]["state"], "succeeded");
  EXPECT_EQ(listed["runs"][1]["started_by"], "admin");
  std::string greet_run = std::to_string(listed["runs"][1]["id"].get<int64_t>());
  ProcessResult kept = Run({"action", "logs", "acts/prod", greet_run});
  EXPECT_EQ(kept.exit_code, 0) << kept.stderr_data;
  EXPECT_EQ(kept.stdout_data, "hello from the action\nbye\n");
  EXPECT_NE(kept.stderr_data.find("a warning"), std::string::npos) << kept.stderr_data;
  EXPECT_NE(kept.stderr_data.find("succeeded"), std::string::npos) << kept.stderr_data;
  Json kept_json = Yard({"action", "logs", "acts/prod", greet_run});
  ASSERT_EQ(kept_json["lines"].size(), 3u) << kept_json.dump(2);
  // stdout and stderr are two pipes: how their lines interleave is not fixed.
  int stderr_lines = 0;
  for (const Json& line : kept_json["lines"]) {
    if (line["stream"] == "stderr") {
      ++stderr_lines;
      EXPECT_EQ(line["line"], "a warning");
    }
  }
  EXPECT_EQ(stderr_lines, 1) << kept_json.dump(2);

  // A one-off command: its output and exit code, words passed as given.
  ProcessResult exec = Run({"exec", "acts/prod", "--", "sh", "-c", "echo hi; exit 7"});
  EXPECT_EQ(exec.exit_code, 7) << exec.stderr_data;
  EXPECT_EQ(exec.stdout_data, "hi\n");
  ProcessResult flags = Run({"exec", "acts/prod", "--component", "app", "--", "ls", "-d", "/"});
  EXPECT_EQ(flags.exit_code, 0) << flags.stderr_data;
  EXPECT_EQ(flags.stdout_data, "/\n");
  ProcessResult nowhere = Run({"exec", "acts/prod", "--component", "db", "--", "true"});
  EXPECT_EQ(nowhere.exit_code, 1);
  EXPECT_NE(nowhere.stderr_data.find("no component or add-on 'db'"), std::string::npos)
      << nowhere.stderr_data;
  ProcessResult missing = Run({"exec", "acts/prod"});
  EXPECT_EQ(missing.exit_code, 2) << missing.stderr_data;

  // Redeploy: a new container from the same release, no build.
  std::vector<std::string> before = ContainersOf("app");
  ASSERT_EQ(before.size(), 1u);
  size_t builds = Yard({"builds", "list", "acts/prod"})["builds"].size();
  d = Yard({"deployments", "redeploy", "acts/prod", "--wait"});
  EXPECT_EQ(d["status"]["colour"], "green") << d.dump(2);
  std::vector<std::string> after = ContainersOf("app");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after, before);
  EXPECT_EQ(Yard({"builds", "list", "acts/prod"})["builds"].size(), builds);
  ProcessResult again = Run({"exec", "acts/prod", "--", "echo", "still here"});
  EXPECT_EQ(again.exit_code, 0) << again.stderr_data;
  EXPECT_EQ(again.stdout_data, "still here\n");

  // Stopped: a clear refusal, and nothing recorded.
  Yard({"deployments", "stop", "acts/prod"});
  ProcessResult stopped = Run({"exec", "acts/prod", "--", "true"});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.stderr_data.find("yard deployments start acts/prod"), std::string::npos)
      << stopped.stderr_data;
  EXPECT_EQ(Yard({"action", "list", "acts/prod"})["runs"].size(), 5u);
}

}  // namespace
}  // namespace yard
