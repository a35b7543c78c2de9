// The reconciler's state machine against the in-memory runtime, a fake prober and a clock
// the test moves: what gets built, created, gated, restarted and removed, and what the status
// says at each step.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "controller/build_runner.h"
#include "controller/controller.h"
#include "controller/fake_runtime.h"
#include "controller/reconciler.h"
#include "edge/router.h"
#include "git/bare_repository.h"
#include "git/test_repo.h"
#include "store/migrations.h"
#include "store/users.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

#include "controller/reconciler_test_fixture.h"
namespace yard::controller {
namespace {

using namespace testing_fixture;

using namespace std::chrono_literals;
using runtime::ContainerState;

TEST_F(ReconcilerTest, DevelopmentDeploymentComesUpInOrder) {
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });

  DeploymentStatus status = reconciler.status();
  EXPECT_EQ(status.phase, Phase::kRunning);
  EXPECT_EQ(status.colour, Colour::kGreen);
  ASSERT_EQ(status.services.size(), 2u);
  EXPECT_EQ(status.services[0].id, "db");
  EXPECT_EQ(status.services[1].id, "web");
  auto running = Running("-web-");
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(status.services[1].address,
            fmt::format("127.0.0.1:{}", running[0].info.published.at(8000)));
  // Its endpoint is routed to the container's own address.
  ASSERT_EQ(status.endpoints.size(), 1u);
  EXPECT_EQ(status.endpoints[0].upstream, running[0].info.ip + ":8000");
  EXPECT_EQ(router_.Upstream(d.id), running[0].info.ip + ":8000");
  EXPECT_EQ(status.services[1].health, HealthState::kHealthy);

  // The code is checked out, the network exists, and the web container has it mounted.
  EXPECT_TRUE(fs::Exists(context_.naming.CodeDir("shop", "dev") + "/web/app.py"));
  ASSERT_EQ(runtime_.networks().size(), 1u);
  auto web = Running("-web-1");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].spec.workdir, "/app/web");
  EXPECT_EQ(web[0].spec.mounts.at(0).target, "/app");
  EXPECT_EQ(web[0].spec.labels.at(std::string(runtime::kLabelDeployment)), std::to_string(d.id));
  bool has_url = false;
  for (const auto& [key, value] : web[0].spec.env) has_url |= key == "DATABASE_URL";
  EXPECT_TRUE(has_url);
  // The install step ran and was removed; the db has its data directory.
  for (const auto& container : runtime_.containers()) {
    EXPECT_EQ(container.info.name.find("install"), std::string::npos);
  }
  EXPECT_TRUE(fs::Exists(context_.naming.StorageDir("shop", "dev", "db", "data")));
  EXPECT_EQ(MUST(deployments_.Find(d.id)).phase, "running");
  // The generated password is kept for the deployment.
  EXPECT_FALSE(MUST(deployments_.Values(d.id)).empty());
}

TEST_F(ReconcilerTest, ComponentsWaitForTheAddOnsTheyImport) {
  runtime_.SetExecExit("-db-", 1);  // pg_isready fails
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [] { return false; }, 15);
  EXPECT_TRUE(Running("-web-").empty());
  DeploymentStatus status = reconciler.status();
  EXPECT_EQ(status.services[1].state, ServiceState::kWaiting);
  EXPECT_EQ(status.colour, Colour::kYellow);

  runtime_.SetExecExit("-db-", 0);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  EXPECT_EQ(Running("-web-").size(), 1u);
}

TEST_F(ReconcilerTest, CrashedContainerRestartsWithBackoffAndShowsRed) {
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  int creates = runtime_.creates();

  runtime_.Crash("-web-", 3);
  reconciler.Pass();  // sees the exit, removes the container, schedules the restart
  DeploymentStatus status = reconciler.status();
  EXPECT_EQ(status.colour, Colour::kRed);
  EXPECT_EQ(status.services[1].state, ServiceState::kCrashed);
  EXPECT_EQ(status.services[1].last_exit_code, 3);
  EXPECT_EQ(status.services[1].restarts, 1);
  EXPECT_FALSE(status.services[1].last_log.empty());
  EXPECT_TRUE(Running("-web-").empty());

  reconciler.Pass();  // the back-off has not passed: nothing new
  EXPECT_EQ(runtime_.creates(), creates);
  now_ += Reconciler::Backoff(0);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  EXPECT_EQ(Running("-web-").size(), 1u);
  EXPECT_EQ(reconciler.status().services[1].restarts, 1);
  EXPECT_EQ(reconciler.status().colour, Colour::kGreen);
}

TEST_F(ReconcilerTest, BackoffGrowsAndIsCapped) {
  EXPECT_EQ(Reconciler::Backoff(0), 1s);
  EXPECT_EQ(Reconciler::Backoff(1), 2s);
  EXPECT_EQ(Reconciler::Backoff(5), 32s);
  EXPECT_EQ(Reconciler::Backoff(6), 60s);
  EXPECT_EQ(Reconciler::Backoff(40), 60s);
}

TEST_F(ReconcilerTest, FailedInstallStepWaitsForARestart) {
  runtime_.ExitOnStart("echo installing", 2);
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kRed; });
  DeploymentStatus status = reconciler.status();
  EXPECT_EQ(status.services[1].state, ServiceState::kInstallFailed);
  EXPECT_EQ(status.services[1].last_exit_code, 2);
  EXPECT_TRUE(Running("-web-").empty());

  runtime_.ExitOnStart("echo installing", 0);
  MUST(deployments_.BumpGenerations(d.id, {"web"}));
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  EXPECT_EQ(Running("-web-2").size(), 1u);
}

TEST_F(ReconcilerTest, ThePrimaryServiceIsTheRunningStacks) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  EXPECT_EQ(reconciler.status().primary, "web");  // the first component, by default

  // A commit that names the add-on but fails to build: the first release still runs.
  git::testing::WriteFile(source_, "stackyard.yaml", std::string(kManifest) + "primary: db\n");
  git::testing::WriteFile(source_, "web/Dockerfile", "FROM nowhere\n");
  std::string broken = git::testing::CommitAll(source_, "primary db, broken", 1'700'000'100);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  runtime_.FailBuilds(broken.substr(0, 12), "FROM nowhere: image not known");
  MUST(deployments_.RequestRebuild(d.id, broken, {}));
  PassUntil(reconciler, [&] {
    return !MUST(builds_.List(d.id, 10)).empty() &&
           MUST(builds_.List(d.id, 10))[0].state == store::BuildState::kFailed;
  });
  reconciler.Pass();
  EXPECT_EQ(reconciler.status().primary, "web");

  git::testing::WriteFile(source_, "web/Dockerfile", "FROM debian\n");
  std::string fixed = git::testing::CommitAll(source_, "fixed", 1'700'000'200);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  MUST(deployments_.RequestRebuild(d.id, fixed, {}));
  PassUntil(reconciler, [&] { return MUST(deployments_.Find(d.id)).release_commit == fixed; });
  reconciler.Pass();
  EXPECT_EQ(reconciler.status().primary, "db");
}

TEST_F(ReconcilerTest, RebuildOfTheSameCommitBuildsAgainAndRollsOut) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  std::string before = Running("-web-").at(0).info.id;
  std::string db_before = Running("-db-").at(0).info.id;
  int builds = runtime_.builds();
  MUST(deployments_.RequestRebuild(d.id, first_commit_, {}));
  PassUntil(reconciler, [&] {
    auto web = Running("-web-");
    return reconciler.status().phase == Phase::kRunning && web.size() == 1 &&
           web[0].info.id != before;
  });
  EXPECT_GT(runtime_.builds(), builds) << "built again, even though the tag existed";
  auto web = Running("-web-");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_NE(web[0].info.id, before);
  // The catalog database kept its image: it runs on, untouched.
  ASSERT_EQ(Running("-db-").size(), 1u);
  EXPECT_EQ(Running("-db-").at(0).info.id, db_before);
}

// A container's port 8000 at its address on the deployment's network, as the edge dials it.
std::string AddressOf(const testing::FakeRuntime::Container& container) {
  return fmt::format("{}:8000", container.info.ip);
}

TEST_F(ReconcilerTest, RolloutServesTheOldVersionUntilTheNewIsHealthyThenDrainsIt) {
  context_.drain = 30s;
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  // The new version starts beside the old one; until it is healthy the old one serves.
  std::string old_id = BeginUnhealthyRollout(reconciler, d);
  ASSERT_FALSE(old_id.empty());
  EXPECT_EQ(reconciler.status().endpoints.at(0).url, "https://app-prod-shop.localhost");
  PassUntil(reconciler, [] { return false; }, 5);
  auto pair = Running("-web-");
  ASSERT_EQ(pair.size(), 2u);
  std::vector<testing::FakeRuntime::Container> old = {pair[0].info.id == old_id ? pair[0]
                                                                                 : pair[1]};
  EXPECT_EQ(router_.Upstream(d.id), AddressOf(old[0]));
  EXPECT_EQ(reconciler.status().phase, Phase::kStarting);

  // Healthy: the route switches; the old one drains, then goes.
  prober_.healthy = true;
  PassUntil(reconciler, [&] { return router_.Upstream(d.id) != AddressOf(old[0]); }, 10);
  auto both = Running("-web-");
  ASSERT_EQ(both.size(), 2u) << "the old version drains";
  std::string fresh = both[0].info.id == old[0].info.id ? AddressOf(both[1]) : AddressOf(both[0]);
  EXPECT_EQ(router_.Upstream(d.id), fresh);
  now_ += 31s;
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kGreen; });
  auto web = Running("-web-");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_NE(web[0].info.id, old[0].info.id);
  EXPECT_EQ(router_.Upstream(d.id), AddressOf(web[0]));
}

TEST_F(ReconcilerTest, FailedHealthCheckRollsBackAndTheOldVersionKeepsServing) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  std::string old = BeginUnhealthyRollout(reconciler, d);
  ASSERT_FALSE(old.empty());
  PassUntil(reconciler, [&] { return !reconciler.status().rolled_back.empty(); }, 400);
  DeploymentStatus status = reconciler.status();
  ASSERT_EQ(status.rolled_back.size(), 1u);
  EXPECT_NE(status.rolled_back[0].find("failed its health check"), std::string::npos)
      << status.rolled_back[0];
  EXPECT_EQ(status.phase, Phase::kRunning);
  EXPECT_EQ(status.colour, Colour::kYellow);
  auto web = Running("-web-");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].info.id, old);
  EXPECT_EQ(router_.Upstream(d.id), AddressOf(web[0]));

  // Not tried again by itself.
  int creates = runtime_.creates();
  PassUntil(reconciler, [] { return false; }, 20);
  EXPECT_EQ(runtime_.creates(), creates);
  EXPECT_EQ(Running("-web-").size(), 1u);
}

TEST_F(ReconcilerTest, NewVersionThatCrashesRollsBack) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  std::string old = BeginUnhealthyRollout(reconciler, d);
  ASSERT_FALSE(old.empty());
  auto both = Running("-web-");
  ASSERT_EQ(both.size(), 2u);
  const auto& fresh = both[0].info.id == old ? both[1] : both[0];
  const auto& serving = both[0].info.id == old ? both[0] : both[1];
  runtime_.Crash(fresh.info.name, 7);
  PassUntil(reconciler, [&] { return !reconciler.status().rolled_back.empty(); });
  ASSERT_FALSE(reconciler.status().rolled_back.empty());
  EXPECT_NE(reconciler.status().rolled_back[0].find("exited with code 7"), std::string::npos);
  EXPECT_EQ(router_.Upstream(d.id), AddressOf(serving));
}

TEST_F(ReconcilerTest, StopAnswersFromTheEdgeAndDeleteRemovesTheRoutes) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kGreen; });
  ASSERT_FALSE(router_.Upstream(d.id).empty());
  MUST(deployments_.SetDesired(d.id, store::Desired::kStopped));
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kStopped; });
  auto routes = router_.RoutesOf(d.id);
  ASSERT_EQ(routes.size(), 1u) << "the hosts stay, answered by the edge itself";
  EXPECT_TRUE(routes[0].upstreams.empty());
  MUST(deployments_.SetDesired(d.id, store::Desired::kDeleted));
  PassUntil(reconciler, [] { return false; }, 3);
  EXPECT_TRUE(router_.RoutesOf(d.id).empty());
}

TEST_F(ReconcilerTest, StopRemovesContainersAndStartBringsThemBack) {
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  MUST(deployments_.SetDesired(d.id, store::Desired::kStopped));
  reconciler.Pass();
  EXPECT_EQ(reconciler.status().phase, Phase::kStopped);
  for (const ServiceStatus& service : reconciler.status().services) {
    EXPECT_EQ(service.state, ServiceState::kStopped);
    EXPECT_TRUE(service.address.empty());
    EXPECT_EQ(service.health, HealthState::kNone);
  }
  EXPECT_TRUE(Running("sy-").empty());
  EXPECT_TRUE(fs::Exists(context_.naming.CodeDir("shop", "dev")));
  MUST(deployments_.SetDesired(d.id, store::Desired::kRunning));
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  EXPECT_EQ(Running("sy-").size(), 2u);
}

TEST_F(ReconcilerTest, DeleteRemovesEverythingOfItsOwnOnly) {
  store::Deployment d = Create("dev", "development");
  store::Deployment other = Create("other", "development");
  Reconciler reconciler(context_, d.id);
  Reconciler other_reconciler(context_, other.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  PassUntil(other_reconciler, [&] { return other_reconciler.status().phase == Phase::kRunning; });

  MUST(deployments_.SetDesired(d.id, store::Desired::kDeleted));
  EXPECT_TRUE(reconciler.Pass().finished);
  EXPECT_TRUE(Running("-shop-dev-").empty());
  EXPECT_EQ(Running("-shop-other-").size(), 2u);
  EXPECT_EQ(runtime_.networks().size(), 1u);
  EXPECT_FALSE(fs::Exists(context_.naming.DeploymentDir("shop", "dev")));
  EXPECT_EQ(git::testing::DirEntries(context_.trash_dir).size(), 1u);
  EXPECT_EQ(deployments_.Find(d.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(runtime_.removed_foreign());
  EXPECT_EQ(Running("someone-elses").size(), 1u);
}

TEST_F(ReconcilerTest, RestartAfterACrashOfTheServerAdoptsWhatRuns) {
  store::Deployment d = Create("dev", "development");
  {
    Reconciler reconciler(context_, d.id);
    PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  }
  int creates = runtime_.creates();
  Reconciler again(context_, d.id);  // a new server: no memory
  PassUntil(again, [&] { return again.status().phase == Phase::kRunning; });
  EXPECT_EQ(runtime_.creates(), creates) << "running containers are adopted, not recreated";
  EXPECT_EQ(Running("sy-").size(), 2u);
}

TEST_F(ReconcilerTest, SweepRemovesObjectsOfUnknownDeploymentsOnly) {
  store::Deployment d = Create("dev", "development");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  // A deployment row lost (as if its create never committed) leaves orphans behind.
  runtime_.AddImage("x");
  runtime::ContainerSpec orphan{.name = "sy-0123456789ab-shop-gone-web-1", .image = "x"};
  orphan.labels[std::string(runtime::kLabelDeployment)] = "999";
  MUST(runtime_.StartContainer(MUST(runtime_.CreateContainer(orphan))));
  runtime::NetworkSpec network{.name = "sy-0123456789ab-shop-gone"};
  network.labels[std::string(runtime::kLabelDeployment)] = "999";
  MUST(runtime_.CreateNetwork(network));

  Controller controller(context_);
  MUST(controller.SweepOrphans());
  EXPECT_TRUE(Running("-gone-").empty());
  EXPECT_EQ(runtime_.networks().size(), 1u);
  EXPECT_EQ(Running("-shop-dev-").size(), 2u);
  EXPECT_EQ(Running("someone-elses").size(), 1u);
}

TEST_F(ReconcilerTest, InvalidStageIsReportedNotCrashed) {
  store::Deployment d = Create("odd", "no-such-stage");
  Reconciler reconciler(context_, d.id);
  reconciler.Pass();
  EXPECT_EQ(reconciler.status().phase, Phase::kFailed);
  EXPECT_NE(reconciler.status().reasons.at(0).find("no-such-stage"), std::string::npos);
}

}  // namespace
}  // namespace yard::controller
