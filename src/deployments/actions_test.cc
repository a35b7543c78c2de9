// Actions without an engine: a project whose manifest declares actions (the real git), the
// controller's FakeRuntime for the containers and the execs (which end at once with the exit
// code the test sets), a status the test publishes, an in-memory store and a log store in a
// temp dir. What is checked is what gets recorded and refused.

#include "deployments/actions.h"

#include <gtest/gtest.h>

#include <thread>

#include "controller/fake_runtime.h"
#include "deployments/deployment_service.h"
#include "git/test_repo.h"
#include "projects/project_service.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments {
namespace {

namespace gt = git::testing;

constexpr const char* kStack = R"(version: 1
components:
  - id: web
    port: 8000
  - id: worker
addons:
  - id: db
    catalog: postgres
actions:
  - id: migrate
    component: web
    command: ./migrate up
  - id: seed
    component: worker
    command: [seed, --all]
    stages: [development]
)";

class RecordingSink final : public events::Sink {
 public:
  void Record(events::Event event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<events::Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<events::Event> events_;
};

class ActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", kStack);
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source, "worker/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    project_ = MUST(projects_.Create({"shop", source}, alice_));
    prod_ = MUST(service_.Create(project_, {.name = "prod", .stage = "production"}, alice_));

    runtime_.AddImage("img");
    for (const char* service : {"web", "worker"}) {
      std::string name = std::string("prod-") + service;
      MUST(runtime_.CreateContainer({.name = name, .image = "img"}));
      MUST(runtime_.StartContainer(name));
      controller::ServiceStatus status{.id = service,
                                       .state = controller::ServiceState::kRunning,
                                       .container = name};
      status_.services.push_back(status);
    }
    status_.services.push_back({.id = "db", .addon = true,
                                .state = controller::ServiceState::kCrashed,
                                .reason = "exited with code 1"});
    status_.primary = "web";
  }

  void TearDown() override { actions_.Stop(); }

  // Waits for the run's watcher to record its end (bounded; no timing is asserted).
  store::ActionRun Ended(int64_t id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      store::ActionRun run = MUST(runs_.Find(id));
      if (run.state != store::RunState::kRunning) return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "run " << id << " did not end";
    return MUST(runs_.Find(id));
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  store::DeploymentStore deployment_store_{*db_, clock_};
  DeploymentService service_{deployment_store_, nullptr};
  store::ActionRunStore runs_{*db_, clock_};
  controller::testing::FakeRuntime runtime_;
  logs::Store output_{{.dir = dir_.File("actions")}, clock_};
  RecordingSink events_;
  controller::DeploymentStatus status_;
  bool published_ = true;
  Actions actions_{{.runs = runs_,
                    .runtime = runtime_,
                    .output = output_,
                    .status_of = [this](int64_t) -> std::optional<controller::DeploymentStatus> {
                      if (!published_) return std::nullopt;
                      return status_;
                    },
                    .clock = clock_,
                    .events = &events_}};
  store::User alice_;
  store::Project project_;
  store::Deployment prod_;
};

TEST_F(ActionsTest, ListsTheManifestsActionsWithWhereTheyRun) {
  ActionList list = MUST(actions_.List(project_, prod_));
  EXPECT_EQ(list.commit, prod_.target_commit);
  ASSERT_EQ(list.actions.size(), 2u);
  EXPECT_EQ(list.actions[0].action.id, "migrate");
  EXPECT_TRUE(list.actions[0].available);
  EXPECT_EQ(list.actions[1].action.id, "seed");
  EXPECT_FALSE(list.actions[1].available) << "development only";
  EXPECT_EQ(CommandArgv(list.actions[0].action.command),
            (std::vector<std::string>{"/bin/sh", "-c", "./migrate up"}));
  EXPECT_EQ(CommandArgv(list.actions[1].action.command),
            (std::vector<std::string>{"seed", "--all"}));
}

TEST_F(ActionsTest, RunsRecordTheExitCodeAndReportWhoRanThem) {
  store::ActionRun run = MUST(actions_.RunAction(project_, prod_, "migrate", alice_));
  EXPECT_EQ(run.service, "web");
  EXPECT_EQ(run.action, "migrate");
  EXPECT_EQ(run.command, (std::vector<std::string>{"/bin/sh", "-c", "./migrate up"}));
  EXPECT_EQ(run.started_by, alice_.id);
  store::ActionRun done = Ended(run.id);
  EXPECT_EQ(done.state, store::RunState::kSucceeded);
  EXPECT_EQ(done.exit_code, 0);

  runtime_.SetExecExit("prod-worker", 3);
  store::ActionRun failed =
      Ended(MUST(actions_.Exec(project_, prod_, "worker", {"sh", "-c", "exit 3"}, alice_)).id);
  EXPECT_EQ(failed.state, store::RunState::kFailed);
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.action, "");

  // Without a component: the stack's primary service.
  store::ActionRun primary = MUST(actions_.Exec(project_, prod_, "", {"true"}, alice_));
  EXPECT_EQ(primary.service, "web");
  Ended(primary.id);

  auto runs = MUST(actions_.Runs(prod_, 10));
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].id, primary.id);

  RunOutput output = MUST(actions_.Output(prod_, failed.id, ""));
  EXPECT_TRUE(output.complete);
  EXPECT_TRUE(output.lines.empty()) << "the fake's execs write nothing";

  // Events are recorded by the watcher after the row: wait for the last one.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (events_.events().size() < 6 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<std::string> kinds;
  for (const events::Event& event : events_.events()) {
    EXPECT_EQ(event.actor, "alice");
    EXPECT_EQ(event.actor_id, alice_.id);
    EXPECT_EQ(event.deployment_id, prod_.id);
    EXPECT_EQ(event.project, "shop");
    kinds.push_back(event.kind);
  }
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "action.started"), 3);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "action.succeeded"), 2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "action.failed"), 1);
  for (const events::Event& event : events_.events()) {
    if (event.kind == "action.failed") {
      EXPECT_EQ(event.data["exit_code"], 3);
      EXPECT_NE(event.message.find("exit code 3"), std::string::npos) << event.message;
    }
  }
}

TEST_F(ActionsTest, RefusalsSayWhatIsWrongAndRecordNothing) {
  auto unknown = actions_.RunAction(project_, prod_, "deploy", alice_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("migrate, seed"), std::string::npos)
      << unknown.error().message;

  auto elsewhere = actions_.RunAction(project_, prod_, "seed", alice_);
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(elsewhere.error().message.find("it runs in: development"), std::string::npos)
      << elsewhere.error().message;

  EXPECT_EQ(actions_.Exec(project_, prod_, "web", {}, alice_).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(actions_.Exec(project_, prod_, "web", {""}, alice_).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(actions_.Exec(project_, prod_, "web", {std::string("a\0b", 3)}, alice_).error().code,
            ErrorCode::kInvalidArgument);
  auto nowhere = actions_.Exec(project_, prod_, "api", {"true"}, alice_);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, ErrorCode::kNotFound);
  EXPECT_NE(nowhere.error().message.find("web, worker, db"), std::string::npos)
      << nowhere.error().message;

  // The add-on crashed: no container to run in.
  auto crashed = actions_.Exec(project_, prod_, "db", {"psql"}, alice_);
  ASSERT_FALSE(crashed);
  EXPECT_EQ(crashed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(crashed.error().message.find("crashed"), std::string::npos)
      << crashed.error().message;

  // Nothing observed yet (a server that just started).
  published_ = false;
  EXPECT_EQ(actions_.Exec(project_, prod_, "web", {"true"}, alice_).error().code,
            ErrorCode::kFailedPrecondition);
  published_ = true;

  // A stopped deployment.
  MUST(service_.Stop(prod_));
  store::Deployment stopped = MUST(deployment_store_.Find(prod_.id));
  auto refused = actions_.RunAction(project_, stopped, "migrate", alice_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message.find("yard deployments start shop/prod"), std::string::npos)
      << refused.error().message;

  EXPECT_TRUE(MUST(actions_.Runs(prod_, 10)).empty());
  EXPECT_TRUE(events_.events().empty());
}

TEST_F(ActionsTest, AContainerThatStoppedSinceTheStatusIsRefused) {
  MUST(runtime_.StopContainer("prod-web", std::chrono::seconds(0)));
  // The status still says it runs (it is refreshed every few seconds): the engine decides.
  auto refused = actions_.Exec(project_, prod_, "web", {"true"}, alice_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(ActionsTest, RunsOfAnotherDeploymentAreNotFound) {
  store::Deployment other =
      MUST(service_.Create(project_, {.name = "dev", .stage = "development"}, alice_));
  store::ActionRun run = MUST(actions_.Exec(project_, prod_, "web", {"true"}, alice_));
  Ended(run.id);
  EXPECT_EQ(actions_.FindRun(other, run.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(actions_.Output(other, run.id, "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(MUST(actions_.FindRun(prod_, run.id)).id, run.id);
}

TEST_F(ActionsTest, RecoverMarksRunsAServerLeftRunningAsInterrupted) {
  store::ActionRun left = MUST(runs_.Start(prod_.id, "web", "migrate", {"x"}, alice_.id));
  MUST(actions_.Recover());
  store::ActionRun after = MUST(runs_.Find(left.id));
  EXPECT_EQ(after.state, store::RunState::kInterrupted);
  EXPECT_FALSE(after.error.empty());
}

}  // namespace
}  // namespace yard::deployments
