#include "deployments/clone.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/fs.h"
#include "controller/fake_runtime.h"
#include "git/test_repo.h"
#include "projects/project_service.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments {
namespace {

namespace gt = git::testing;
using namespace std::chrono_literals;

// The default stages: development (dev), staging and production (built).
constexpr const char* kStack = R"(version: 1
components:
  - id: web
    port: 8000
addons:
  - id: db
    catalog: postgres
)";

class ClonerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", kStack);
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    commit_ = gt::CommitAll(source, "first", 1'700'000'000);
    project_ = MUST(projects_.Create({"shop", source}, alice_));

    store::Deployment d;
    d.project_id = project_.id;
    d.name = "dev";
    d.stage = "development";
    d.branch = "main";
    d.params = {{"greeting", "hi"}};
    d.env = {{"DEBUG", "1"}, {"web:SECRET", "enc:v1:sealed"}};
    d.memory_bytes = 512 << 20;
    d.target_commit = commit_;
    d.phase = "running";
    d.created_by = alice_.id;
    source_ = MUST(store_.Create(d));
    MUST(store_.AddValues(source_.id, {{"db/env/POSTGRES_PASSWORD#0", "drawn-once"}}));

    // Its volumes: a database's files and a checkout with an uncommitted edit.
    std::string data = naming_.StorageDir("shop", "dev", "db", "data");
    ASSERT_TRUE(fs::CreateDirectories(data + "/base"));
    ASSERT_TRUE(fs::AtomicWriteFile(data + "/base/16384", std::string(1 << 20, 'r'), 0600));
    ASSERT_TRUE(fs::CreateDirectories(naming_.CodeDir("shop", "dev") + "/web"));
    ASSERT_TRUE(fs::AtomicWriteFile(naming_.CodeDir("shop", "dev") + "/web/app.py", "edited\n"));

    runtime_.AddImage("image");
    db_container_ = StartContainer("db");
    web_container_ = StartContainer("web");
  }

  std::string StartContainer(const std::string& service) {
    runtime::ContainerSpec spec;
    spec.name = "sy-test-shop-dev-" + service + "-1";
    spec.image = "image";
    spec.labels = {{std::string(runtime::kLabelDeployment), std::to_string(source_.id)},
                   {std::string(runtime::kLabelComponent), service}};
    std::string id = MUST(runtime_.CreateContainer(spec));
    MUST(runtime_.StartContainer(id));
    return id;
  }

  runtime::ContainerState StateOf(const std::string& id) {
    return MUST(runtime_.InspectContainer(id))->state;
  }

  CloneProgress WaitFor(const std::string& name) {
    for (int i = 0; i < 1000; ++i) {
      auto progress = cloner_.ProgressOf(project_.id, name);
      if (progress && progress->state != CloneProgress::State::kCopying) return *progress;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "the clone did not finish";
    return {};
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  store::DeploymentStore store_{*db_, clock_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  controller::testing::FakeRuntime runtime_;
  controller::Naming naming_{.installation = "test", .volumes_dir = dir_.File("volumes")};
  Cloner cloner_{{.store = store_, .runtime = &runtime_, .naming = naming_, .clock = clock_}};
  store::User alice_;
  store::Project project_;
  store::Deployment source_;
  std::string commit_;
  std::string db_container_;
  std::string web_container_;
};

TEST_F(ClonerTest, CopiesConfigurationValuesDataAndCode) {
  store::Deployment clone = MUST(cloner_.Clone(project_, source_, {.name = "copy"}, alice_));
  EXPECT_EQ(clone.phase, kCloningPhase);
  EXPECT_EQ(clone.stage, "development");
  CloneProgress progress = WaitFor("copy");
  ASSERT_EQ(progress.state, CloneProgress::State::kDone) << progress.error;
  EXPECT_EQ(progress.bytes_total, (1 << 20) + 7);
  EXPECT_EQ(progress.bytes_done, progress.bytes_total);
  EXPECT_EQ(progress.source, "dev");

  store::Deployment d = MUST(store_.FindByName(project_.id, "copy"));
  EXPECT_EQ(d.phase, "creating") << "handed over to the controller";
  EXPECT_EQ(d.branch, "main");
  EXPECT_EQ(d.target_commit, commit_);
  EXPECT_EQ(d.params, source_.params);
  EXPECT_EQ(d.env, source_.env) << "sealed values are copied sealed";
  EXPECT_EQ(d.memory_bytes, 512 << 20);
  EXPECT_EQ(MUST(store_.Values(d.id)), MUST(store_.Values(source_.id)));

  std::string data = naming_.StorageDir("shop", "copy", "db", "data");
  EXPECT_EQ(MUST(fs::ReadFile(data + "/base/16384")), std::string(1 << 20, 'r'));
  EXPECT_EQ(MUST(fs::ReadFile(naming_.CodeDir("shop", "copy") + "/web/app.py")), "edited\n");
  EXPECT_FALSE(fs::Exists(naming_.DeploymentDir("shop", "copy") + "/.clone.json"));
  // The source's database was paused for the copy and runs again.
  EXPECT_EQ(StateOf(db_container_), runtime::ContainerState::kRunning);
  EXPECT_EQ(StateOf(web_container_), runtime::ContainerState::kRunning);
}

TEST_F(ClonerTest, ABuiltStageGetsTheDataButNoCodeVolume) {
  MUST(cloner_.Clone(project_, source_, {.name = "prod", .stage = "production"}, alice_));
  ASSERT_EQ(WaitFor("prod").state, CloneProgress::State::kDone);
  store::Deployment d = MUST(store_.FindByName(project_.id, "prod"));
  EXPECT_EQ(d.stage, "production");
  EXPECT_TRUE(fs::Exists(naming_.StorageDir("shop", "prod", "db", "data") + "/base/16384"));
  EXPECT_FALSE(fs::Exists(naming_.CodeDir("shop", "prod")));
}

TEST_F(ClonerTest, BadRequestsChangeNothing) {
  auto bad_stage = cloner_.Clone(project_, source_, {.name = "x", .stage = "qa"}, alice_);
  ASSERT_FALSE(bad_stage);
  EXPECT_EQ(bad_stage.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_stage.error().message.find("development, staging, production"), std::string::npos)
      << bad_stage.error().message;
  EXPECT_EQ(cloner_.Clone(project_, source_, {.name = "Bad Name"}, alice_).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(cloner_.Clone(project_, source_, {.name = "dev"}, alice_).error().code,
            ErrorCode::kAlreadyExists);

  ASSERT_TRUE(fs::CreateDirectories(naming_.DeploymentDir("shop", "left")));
  auto left = cloner_.Clone(project_, source_, {.name = "left"}, alice_);
  ASSERT_FALSE(left);
  EXPECT_EQ(left.error().code, ErrorCode::kFailedPrecondition);

  store::Deployment deleting = source_;
  deleting.desired = store::Desired::kDeleted;
  EXPECT_EQ(cloner_.Clone(project_, deleting, {.name = "y"}, alice_).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(MUST(store_.ListForProject(project_.id)).size(), 1u);
}

TEST_F(ClonerTest, RecoverRemovesAnUnfinishedCloneAndUnpausesItsSource) {
  // What a server killed mid-copy leaves: the row, a partial copy, a paused database.
  store::Deployment d;
  d.project_id = project_.id;
  d.name = "half";
  d.stage = "development";
  d.branch = "main";
  d.phase = std::string(kCloningPhase);
  d.created_by = alice_.id;
  d = MUST(store_.Create(d));
  std::string dir = naming_.DeploymentDir("shop", "half");
  ASSERT_TRUE(fs::CreateDirectories(dir + "/data/db/data"));
  ASSERT_TRUE(fs::AtomicWriteFile(
      dir + "/.clone.json",
      R"({"source_id": 1, "source": "dev", "paused": [")" + db_container_ + R"("]})"));
  MUST(runtime_.PauseContainer(db_container_));

  MUST(cloner_.Recover());
  EXPECT_EQ(store_.Find(d.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::Exists(dir));
  EXPECT_EQ(StateOf(db_container_), runtime::ContainerState::kRunning);
  EXPECT_TRUE(store_.Find(source_.id)) << "the source is untouched";
}

}  // namespace
}  // namespace yard::deployments
