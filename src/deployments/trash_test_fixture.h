#pragma once

// The trash and auto-stop tests' fixture: a project mirrored from a real Git source whose
// stack has the default stages (development stops after 12 h), an in-memory store, a fake
// clock, and no controller (the tests check what is recorded and what is on disk).

#include <gtest/gtest.h>

#include "deployments/auto_stop.h"
#include "deployments/deployment_service.h"
#include "deployments/trash.h"
#include "git/test_repo.h"
#include "projects/project_service.h"
#include "store/migrations.h"
#include "store/trash.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::deployments::testing_fixture {

class TrashFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    std::string source = dir_.File("source");
    git::testing::InitSource(source);
    git::testing::WriteFile(source, "stackyard.yaml", "version: 1\ncomponents:\n"
                                                      "  - id: web\n    port: 8000\n");
    git::testing::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    commit_ = git::testing::CommitAll(source, "first", 1'700'000'000);
    project_ = MUST(projects_.Create({"shop", source}, alice_));
  }

  store::Deployment Make(const std::string& name, const std::string& stage) {
    store::Deployment d;
    d.project_id = project_.id;
    d.name = name;
    d.stage = stage;
    d.branch = "main";
    d.target_commit = commit_;
    d.params = {{"greeting", "hi"}};
    d.created_by = alice_.id;
    return MUST(deployment_store_.Create(d));
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  store::DeploymentStore deployment_store_{*db_, clock_};
  store::DomainStore domain_store_{*db_, clock_};
  store::TrashStore trash_store_{*db_, clock_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  DeploymentService service_{deployment_store_, nullptr, {.store = &domain_store_}};
  AutoStop auto_stop_{deployment_store_, project_store_, service_, clock_};
  store::User alice_;
  store::Project project_;
  std::string commit_;
};

}  // namespace yard::deployments::testing_fixture
