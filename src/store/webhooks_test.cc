#include "store/webhooks.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/projects.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class WebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    User alice = MUST(users_.Create("alice", Role::kUser));
    shop_ = MUST(projects_.Create(Project{.name = "shop",
                                          .source_kind = SourceKind::kRemote,
                                          .source_url = "https://example.invalid/shop.git",
                                          .repo_path = "/data/repos/shop.git",
                                          .created_by = alice.id}));
    other_ = MUST(projects_.Create(Project{.name = "other",
                                           .source_kind = SourceKind::kRemote,
                                           .source_url = "https://example.invalid/other.git",
                                           .repo_path = "/data/repos/other.git",
                                           .created_by = alice.id}));
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
  ProjectStore projects_{*db_, clock_};
  WebhookStore webhooks_{*db_, clock_};
  Project shop_;
  Project other_;
};

TEST_F(WebhookStoreTest, SecretsAreOffUntilSet) {
  EXPECT_EQ(MUST(webhooks_.Secret(shop_.id)), "");
  ASSERT_TRUE(webhooks_.SetSecret(shop_.id, "s3cret"));
  EXPECT_EQ(MUST(webhooks_.Secret(shop_.id)), "s3cret");
  EXPECT_EQ(MUST(webhooks_.Secret(other_.id)), "");
  ASSERT_TRUE(webhooks_.SetSecret(shop_.id, "rotated"));
  EXPECT_EQ(MUST(webhooks_.Secret(shop_.id)), "rotated");
  ASSERT_TRUE(webhooks_.ClearSecret(shop_.id));
  EXPECT_EQ(MUST(webhooks_.Secret(shop_.id)), "");
  // Clearing twice is fine: off is off.
  EXPECT_TRUE(webhooks_.ClearSecret(shop_.id));
}

TEST_F(WebhookStoreTest, UnknownProjectsAndEmptySecrets) {
  EXPECT_EQ(webhooks_.Secret(999).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(webhooks_.SetSecret(999, "x").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(webhooks_.ClearSecret(999).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(webhooks_.SetSecret(shop_.id, "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(webhooks_.RecordDelivery(999, "github:1"));
}

TEST_F(WebhookStoreTest, ADeliveryCountsOncePerProject) {
  EXPECT_TRUE(MUST(webhooks_.RecordDelivery(shop_.id, "github:72d3162e")));
  EXPECT_FALSE(MUST(webhooks_.RecordDelivery(shop_.id, "github:72d3162e")));
  EXPECT_FALSE(MUST(webhooks_.RecordDelivery(shop_.id, "github:72d3162e")));
  EXPECT_TRUE(MUST(webhooks_.RecordDelivery(shop_.id, "github:9a1b7f20")));
  // The same id at another project (one hook on an organisation, say) is its own delivery.
  EXPECT_TRUE(MUST(webhooks_.RecordDelivery(other_.id, "github:72d3162e")));
}

TEST_F(WebhookStoreTest, OldDeliveriesAreForgotten) {
  EXPECT_TRUE(MUST(webhooks_.RecordDelivery(shop_.id, "gitlab:old")));
  clock_.Advance(std::chrono::hours(24 * 29));
  EXPECT_TRUE(MUST(webhooks_.RecordDelivery(shop_.id, "gitlab:newer")));
  EXPECT_FALSE(MUST(webhooks_.RecordDelivery(shop_.id, "gitlab:old")));
  clock_.Advance(std::chrono::hours(24 * 2));
  // 31 days after the first: it was pruned, so it counts as new; the newer one is kept.
  EXPECT_TRUE(MUST(webhooks_.RecordDelivery(shop_.id, "gitlab:old")));
  EXPECT_FALSE(MUST(webhooks_.RecordDelivery(shop_.id, "gitlab:newer")));

  auto lock = db_->Lock();
  auto count = MUST(db_->Prepare("SELECT COUNT(*) FROM webhook_deliveries"));
  ASSERT_TRUE(MUST(count.Step()));
  EXPECT_EQ(count.ColumnInt(0), 2);
}

TEST_F(WebhookStoreTest, DeliveriesGoWithTheirProject) {
  MUST(webhooks_.RecordDelivery(shop_.id, "github:1"));
  ASSERT_TRUE(projects_.Delete(shop_.id));
  auto lock = db_->Lock();
  auto count = MUST(db_->Prepare("SELECT COUNT(*) FROM webhook_deliveries"));
  ASSERT_TRUE(MUST(count.Step()));
  EXPECT_EQ(count.ColumnInt(0), 0);
}

}  // namespace
}  // namespace yard::store
