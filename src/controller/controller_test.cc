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

namespace yard::controller {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerState;

constexpr const char* kManifest = R"(version: 1
components:
  - id: web
    port: 8000
    dev:
      command: python3 app.py
      install: echo installing
    health:
      http: /
    import:
      - db.DATABASE_URL
    endpoints:
      - id: app
addons:
  - id: db
    catalog: postgres
)";

class FakeProber final : public Prober {
 public:
  bool Http(const std::string&, int, const std::string&, std::chrono::milliseconds) override {
    return healthy;
  }
  bool Tcp(const std::string&, int, std::chrono::milliseconds) override { return healthy; }
  bool healthy = true;
};

// The edge as the reconciler sees it: a table of routes.
class FakeRouter final : public edge::Router {
 public:
  Status SetRoutes(int64_t deployment_id, std::vector<edge::EdgeRoute> routes) override {
    std::lock_guard lock(mutex_);
    if (routes.empty()) {
      routes_.erase(deployment_id);
    } else {
      routes_[deployment_id] = std::move(routes);
    }
    return Ok();
  }
  std::vector<edge::EdgeRoute> RoutesOf(int64_t deployment_id) const override {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(deployment_id);
    return it == routes_.end() ? std::vector<edge::EdgeRoute>{} : it->second;
  }
  void Retain(const std::set<int64_t>&) override {}
  edge::HostCertificate Certificate(const std::string&) override {
    return {.state = "valid", .issuer = "internal"};
  }
  // The upstream of the deployment's first route, "" when none.
  std::string Upstream(int64_t deployment_id) const {
    auto routes = RoutesOf(deployment_id);
    return routes.empty() || routes[0].upstreams.empty() ? "" : routes[0].upstreams[0];
  }

 private:
  mutable std::mutex mutex_;
  std::map<int64_t, std::vector<edge::EdgeRoute>> routes_;
};

// The build queue, run on the reconciler's own thread: a queued build is built at once, so
// that passes stay deterministic.
class InlineBuildQueue final : public BuildQueue {
 public:
  explicit InlineBuildQueue(BuildRunner& runner) : runner_(runner) {}
  void Wake() override {
    while (runner_.RunNext()) {
    }
  }
  Status Cancel(int64_t build_id, const std::string& why) override {
    return runner_.Cancel(build_id, why);
  }

 private:
  BuildRunner& runner_;
};

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    user_ = MUST(users_.Create("alice", store::Role::kUser));
    std::string source = dir_.path() + "/source";
    git::testing::InitSource(source);
    git::testing::WriteFile(source, "stackyard.yaml", kManifest);
    git::testing::WriteFile(source, "web/Dockerfile", "FROM debian\n");
    git::testing::WriteFile(source, "web/Dockerfile.dev", "FROM debian\n");
    git::testing::WriteFile(source, "web/app.py", "print('hi')\n");
    first_commit_ = git::testing::CommitAll(source, "first", 1'700'000'000);
    std::string repo = dir_.path() + "/repos/shop.git";
    MUST(git::BareRepository::Mirror(source, repo, 60s));
    source_ = source;
    project_ = MUST(projects_.Create({.name = "shop",
                                      .source_kind = store::SourceKind::kLocal,
                                      .source_url = source,
                                      .repo_path = repo,
                                      .created_by = user_.id}));
    context_.deployments = &deployments_;
    context_.builds = &builds_;
    context_.releases = &releases_;
    context_.build_queue = &build_queue_;
    context_.projects = &projects_;
    context_.runtime = &runtime_;
    context_.naming = {.installation = "0123456789ab", .volumes_dir = dir_.path() + "/volumes"};
    context_.build_logs_dir = dir_.path() + "/builds";
    context_.trash_dir = dir_.path() + "/trash";
    context_.clock = &clock_;
    context_.random = &random_;
    context_.prober = &prober_;
    context_.now = [this] { return now_; };
    context_.router = &router_;
    context_.drain = 0s;
    runtime_.AddForeignContainer("someone-elses");
  }

  store::Deployment Create(const std::string& name, const std::string& stage) {
    store::Deployment d;
    d.project_id = project_.id;
    d.name = name;
    d.stage = stage;
    d.branch = "main";
    d.created_by = user_.id;
    return MUST(deployments_.Create(d));
  }

  // Runs passes, moving the clock by each pass's requested delay, until `done` or `limit`.
  void PassUntil(Reconciler& reconciler, const std::function<bool()>& done, int limit = 50) {
    for (int i = 0; i < limit && !done(); ++i) {
      Reconciler::Outcome outcome = reconciler.Pass();
      if (outcome.finished) return;
      now_ += outcome.next;
    }
  }

  // Brings `d` up green, then asks for a new version (a rebuild) while health checks fail:
  // the new container starts beside the old and is not healthy. Returns the old web
  // container's id ("" if it did not come up).
  std::string BeginUnhealthyRollout(Reconciler& reconciler, const store::Deployment& d) {
    PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kGreen; });
    auto old = Running("-web-");
    EXPECT_EQ(old.size(), 1u);
    if (old.size() != 1) return "";
    prober_.healthy = false;
    MUST(deployments_.RequestRebuild(d.id, first_commit_, {}));
    PassUntil(reconciler, [&] { return Running("-web-").size() == 2; });
    return old[0].info.id;
  }

  std::vector<testing::FakeRuntime::Container> Running(const std::string& fragment) {
    std::vector<testing::FakeRuntime::Container> out;
    for (const auto& container : runtime_.containers()) {
      if (container.info.name.find(fragment) != std::string::npos &&
          container.info.state == ContainerState::kRunning) {
        out.push_back(container);
      }
    }
    return out;
  }

  yard::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  yard::testing::FakeClock clock_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore projects_{*db_, clock_};
  store::DeploymentStore deployments_{*db_, clock_};
  store::BuildStore builds_{*db_, clock_};
  store::ReleaseStore releases_{*db_, clock_};
  testing::FakeRuntime runtime_;
  FakeProber prober_;
  FakeRouter router_;
  manifest::SeededRandom random_{42};
  ControllerContext context_;
  BuildRunner runner_{context_, {}, nullptr};
  InlineBuildQueue build_queue_{runner_};
  std::chrono::steady_clock::time_point now_{};
  store::User user_;
  store::Project project_;
  std::string source_;
  std::string first_commit_;
};

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

TEST_F(ReconcilerTest, BuiltStageBuildFailureKeepsThePreviousRelease) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  std::string first_image = Running("-web-").at(0).spec.image;
  EXPECT_NE(first_image.find(first_commit_.substr(0, 12)), std::string::npos);

  // A new commit whose build fails.
  git::testing::WriteFile(source_, "web/Dockerfile", "FROM nowhere\n");
  std::string second = git::testing::CommitAll(source_, "broken", 1'700'000'100);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  runtime_.FailBuilds(second.substr(0, 12), "FROM nowhere: image not known");
  MUST(deployments_.RequestRebuild(d.id, second, {"web", "db"}));
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kYellow; });
  PassUntil(reconciler, [&] {
    return reconciler.status().phase == Phase::kRunning && Running("-web-").size() == 1 &&
           Running("-web-2").size() == 1;
  });

  auto builds = MUST(builds_.List(d.id, 10));
  ASSERT_GE(builds.size(), 2u);
  EXPECT_EQ(builds[0].state, store::BuildState::kFailed);
  EXPECT_NE(builds[0].error.find("image not known"), std::string::npos);
  std::string log = MUST(fs::ReadFile(fmt::format("{}/{}.log", context_.build_logs_dir,
                                                  builds[0].id)));
  EXPECT_NE(log.find("image not known"), std::string::npos);
  // Still serving the first release (restarted: the rebuild asked for fresh containers).
  auto web = Running("-web-");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].spec.image, first_image);
  EXPECT_EQ(MUST(deployments_.Find(d.id)).release_commit, first_commit_);
  EXPECT_EQ(reconciler.status().phase, Phase::kRunning);
  EXPECT_EQ(reconciler.status().colour, Colour::kYellow);
  int builds_before = runtime_.builds();
  PassUntil(reconciler, [] { return false; }, 5);
  EXPECT_EQ(runtime_.builds(), builds_before) << "a failed build is not retried by itself";
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

TEST_F(ReconcilerTest, AnImageRemovedBehindItsBackIsBuiltAgain) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  std::string image = Running("-web-").at(0).spec.image;
  MUST(runtime_.RemoveImage(image));
  runtime_.Crash("-web-", 1);
  now_ += 10s;
  PassUntil(reconciler, [&] { return !Running("-web-").empty(); });
  EXPECT_EQ(Running("-web-").size(), 1u);
  EXPECT_TRUE(MUST(runtime_.InspectImage(image)).has_value()) << "built again";
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

TEST_F(ReconcilerTest, PushedCommitIsBuiltIntoAReleaseAndANewerOneSupersedesItsBuild) {
  store::Deployment d = Create("prod", "production");
  Reconciler reconciler(context_, d.id);
  PassUntil(reconciler, [&] { return reconciler.status().phase == Phase::kRunning; });
  auto releases = MUST(releases_.List(d.id, 10));
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0].number, 1);
  EXPECT_EQ(releases[0].created_by, user_.id) << "the first build is its creator's";

  // Two commits arrive while the queue is held: the build for the first is superseded.
  context_.build_queue = nullptr;
  git::testing::WriteFile(source_, "web/app.py", "print('two')\n");
  std::string second = git::testing::CommitAll(source_, "two", 1'700'000'100);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  ASSERT_EQ(MUST(deployments_.FollowBranch(project_.id, "main", second)).size(), 1u);
  reconciler.Pass();
  auto queued = MUST(builds_.List(d.id, 10));
  ASSERT_EQ(queued[0].state, store::BuildState::kQueued);
  EXPECT_EQ(reconciler.status().build_state, "queued");
  git::testing::WriteFile(source_, "web/app.py", "print('three')\n");
  std::string third = git::testing::CommitAll(source_, "three", 1'700'000'200);
  MUST(MUST(git::BareRepository::Open(project_.repo_path)).Fetch(source_, 60s));
  ASSERT_EQ(MUST(deployments_.FollowBranch(project_.id, "main", third)).size(), 1u);
  context_.build_queue = &build_queue_;
  PassUntil(reconciler, [&] { return MUST(deployments_.Find(d.id)).release_commit == third; });
  EXPECT_EQ(MUST(builds_.Find(queued[0].id)).state, store::BuildState::kCancelled);
  EXPECT_NE(MUST(builds_.Find(queued[0].id)).error.find("superseded"), std::string::npos);
  releases = MUST(releases_.List(d.id, 10));
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0].commit, third);
  EXPECT_EQ(releases[0].kind, store::ReleaseKind::kBuild);
  PassUntil(reconciler, [&] { return reconciler.status().colour == Colour::kGreen; });
  EXPECT_EQ(Running("-web-").at(0).spec.image.find(third.substr(0, 12)) != std::string::npos,
            true);
}

TEST_F(ReconcilerTest, InterruptedBuildIsQueuedAgainAFewTimesOnly) {
  store::Deployment d = Create("prod", "production");
  context_.build_queue = nullptr;  // builds wait in the queue
  Reconciler reconciler(context_, d.id);
  for (int i = 0; i < 3; ++i) {
    reconciler.Pass();
    ASSERT_TRUE(MUST(builds_.ClaimNext()));  // a runner takes it, and the server dies
    MUST(builds_.InterruptRunning("the server stopped during this build"));
  }
  reconciler.Pass();
  auto builds = MUST(builds_.List(d.id, 10));
  EXPECT_EQ(builds.size(), 3u) << "queued again twice after the first interruption";
  EXPECT_EQ(reconciler.status().build_state, "interrupted");
  EXPECT_EQ(reconciler.status().colour, Colour::kRed);
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
