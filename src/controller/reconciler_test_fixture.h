#pragma once

// The reconciler tests' fixture: a project with a small stack, the in-memory runtime, a fake
// prober and edge, a build queue run inline, and a clock the test moves.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <functional>

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

namespace yard::controller::testing_fixture {

using namespace std::chrono_literals;
using runtime::ContainerState;

inline constexpr const char* kManifest = R"(version: 1
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

}  // namespace yard::controller::testing_fixture
