#include "store/api_tokens.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class ApiTokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    bob_ = MUST(users_.Create("bob", Role::kAdmin));
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
  ApiTokenStore tokens_{*db_, clock_};
  User alice_;
  User bob_;
};

TEST_F(ApiTokenStoreTest, FindsTheTokenAndItsUserByHash) {
  ApiToken token = MUST(tokens_.Create(bob_.id, "laptop", "hash-1", "yard_abcd", std::nullopt));
  auto [found, user] = MUST(tokens_.FindByHash("hash-1"));
  EXPECT_EQ(found.id, token.id);
  EXPECT_EQ(found.name, "laptop");
  EXPECT_EQ(found.prefix, "yard_abcd");
  EXPECT_EQ(user.name, "bob");
  EXPECT_EQ(user.role, Role::kAdmin);
  EXPECT_EQ(tokens_.FindByHash("hash-2").error().code, ErrorCode::kNotFound);
}

TEST_F(ApiTokenStoreTest, ExpiredTokensAreNotFound) {
  MUST(tokens_.Create(alice_.id, "short", "hash-1", "yard_abcd", clock_.NowUnix() + 60));
  EXPECT_TRUE(tokens_.FindByHash("hash-1"));
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_EQ(tokens_.FindByHash("hash-1").error().code, ErrorCode::kNotFound);
}

TEST_F(ApiTokenStoreTest, ListsAndRevokesOnlyTheOwnersTokens) {
  ApiToken alices = MUST(tokens_.Create(alice_.id, "a", "hash-a", "yard_aaaa", std::nullopt));
  ApiToken bobs = MUST(tokens_.Create(bob_.id, "b", "hash-b", "yard_bbbb", std::nullopt));
  EXPECT_EQ(MUST(tokens_.ListForUser(alice_.id)).size(), 1u);
  Status foreign = tokens_.Revoke(alice_.id, bobs.id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(tokens_.FindByHash("hash-b"));
  ASSERT_TRUE(tokens_.Revoke(alice_.id, alices.id));
  EXPECT_FALSE(tokens_.FindByHash("hash-a"));
  EXPECT_TRUE(MUST(tokens_.ListForUser(alice_.id)).empty());
}

TEST_F(ApiTokenStoreTest, TouchWritesAtMostOncePerGranule) {
  MUST(tokens_.Create(alice_.id, "a", "hash-a", "yard_aaaa", std::nullopt));
  ApiToken token = MUST(tokens_.FindByHash("hash-a")).first;
  EXPECT_EQ(token.last_used_at, std::nullopt);
  ASSERT_TRUE(tokens_.Touch(token, 60));
  token = MUST(tokens_.FindByHash("hash-a")).first;
  EXPECT_EQ(token.last_used_at, clock_.NowUnix());

  int64_t first_use = clock_.NowUnix();
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(tokens_.Touch(token, 60));
  EXPECT_EQ(MUST(tokens_.FindByHash("hash-a")).first.last_used_at, first_use);

  clock_.Advance(std::chrono::seconds(31));
  ASSERT_TRUE(tokens_.Touch(token, 60));
  EXPECT_EQ(MUST(tokens_.FindByHash("hash-a")).first.last_used_at, clock_.NowUnix());
}

TEST_F(ApiTokenStoreTest, TokenHashesAreUnique) {
  MUST(tokens_.Create(alice_.id, "a", "same", "yard_aaaa", std::nullopt));
  auto again = tokens_.Create(bob_.id, "b", "same", "yard_aaaa", std::nullopt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace yard::store
