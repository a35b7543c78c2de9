#include "store/domains.h"

#include <gtest/gtest.h>

#include "store/deployments.h"
#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class DomainStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    User alice = MUST(users_.Create("alice", Role::kUser));
    for (const char* name : {"shop", "blog"}) {
      Project project = MUST(projects_.Create(Project{.name = name,
                                                      .source_kind = SourceKind::kHosted,
                                                      .repo_path = "/data/repos/x.git",
                                                      .created_by = alice.id}));
      Deployment d;
      d.project_id = project.id;
      d.name = "prod";
      d.stage = "production";
      d.branch = "main";
      d.created_by = alice.id;
      (std::string(name) == "shop" ? shop_prod_ : blog_prod_) = MUST(deployments_.Create(d));
    }
  }

  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  DeploymentStore deployments_{*db_, clock_};
  DomainStore domains_{*db_, clock_};
  Deployment shop_prod_;
  Deployment blog_prod_;
};

TEST_F(DomainStoreTest, AddsListsAndFinds) {
  clock_.Advance(std::chrono::seconds(60));
  Domain www = MUST(domains_.Add(shop_prod_.id, "app", "www.shop.example"));
  EXPECT_GT(www.id, 0);
  EXPECT_EQ(www.deployment_id, shop_prod_.id);
  EXPECT_EQ(www.endpoint, "app");
  EXPECT_EQ(www.hostname, "www.shop.example");
  EXPECT_EQ(www.created_at, clock_.NowUnix());
  EXPECT_EQ(www.project, "shop");
  EXPECT_EQ(www.deployment, "prod");
  MUST(domains_.Add(shop_prod_.id, "api", "api.shop.example"));
  MUST(domains_.Add(blog_prod_.id, "app", "blog.example"));

  auto listed = MUST(domains_.ListForDeployment(shop_prod_.id));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].hostname, "api.shop.example");
  EXPECT_EQ(listed[0].endpoint, "api");
  EXPECT_EQ(listed[1].hostname, "www.shop.example");
  EXPECT_EQ(MUST(domains_.ListAll()).size(), 3u);
  EXPECT_EQ(MUST(domains_.FindByHostname("blog.example")).deployment_id, blog_prod_.id);
  EXPECT_EQ(domains_.FindByHostname("nope.example").error().code, ErrorCode::kNotFound);
}

TEST_F(DomainStoreTest, ChangesCountAsChangesOfTheDeployment) {
  clock_.Advance(std::chrono::seconds(60));
  MUST(domains_.Add(shop_prod_.id, "app", "www.shop.example"));
  Deployment after_add = MUST(deployments_.Find(shop_prod_.id));
  EXPECT_EQ(after_add.version, shop_prod_.version + 1);
  EXPECT_EQ(after_add.updated_at, clock_.NowUnix());
  MUST(domains_.Remove(shop_prod_.id, "www.shop.example"));
  EXPECT_EQ(MUST(deployments_.Find(shop_prod_.id)).version, shop_prod_.version + 2);
  // A refused change is not one.
  EXPECT_FALSE(domains_.Remove(shop_prod_.id, "www.shop.example"));
  EXPECT_EQ(MUST(deployments_.Find(shop_prod_.id)).version, shop_prod_.version + 2);
  EXPECT_EQ(MUST(deployments_.Find(blog_prod_.id)).version, blog_prod_.version);
}

TEST_F(DomainStoreTest, AHostnameServesOneEndpoint) {
  MUST(domains_.Add(shop_prod_.id, "app", "www.shop.example"));
  auto elsewhere = domains_.Add(blog_prod_.id, "app", "www.shop.example");
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(elsewhere.error().message.find("deployment 'prod' of project 'shop'"),
            std::string::npos)
      << elsewhere.error().message;
  auto again = domains_.Add(shop_prod_.id, "api", "www.shop.example");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(again.error().message.find("already a domain of this deployment (endpoint 'app')"),
            std::string::npos)
      << again.error().message;
  EXPECT_EQ(MUST(domains_.ListAll()).size(), 1u);
  EXPECT_EQ(MUST(deployments_.Find(blog_prod_.id)).version, blog_prod_.version);
}

TEST_F(DomainStoreTest, RemovesOnlyFromItsDeployment) {
  MUST(domains_.Add(shop_prod_.id, "app", "www.shop.example"));
  EXPECT_EQ(domains_.Remove(blog_prod_.id, "www.shop.example").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(domains_.Remove(shop_prod_.id, "other.example").error().code, ErrorCode::kNotFound);
  MUST(domains_.Remove(shop_prod_.id, "www.shop.example"));
  EXPECT_TRUE(MUST(domains_.ListForDeployment(shop_prod_.id)).empty());
}

TEST_F(DomainStoreTest, UnknownDeploymentsGetNothing) {
  auto added = domains_.Add(9999, "app", "www.shop.example");
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(MUST(domains_.ListAll()).empty());
}

TEST_F(DomainStoreTest, DeletingADeploymentFreesItsHostnames) {
  MUST(domains_.Add(shop_prod_.id, "app", "www.shop.example"));
  MUST(domains_.Add(shop_prod_.id, "app", "shop.example"));
  MUST(deployments_.Delete(shop_prod_.id));
  EXPECT_TRUE(MUST(domains_.ListAll()).empty());
  MUST(domains_.Add(blog_prod_.id, "app", "www.shop.example"));
}

}  // namespace
}  // namespace yard::store
