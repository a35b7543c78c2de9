#include "store/sessions.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    bob_ = MUST(users_.Create("bob", Role::kAdmin));
  }
  Session Make(const User& user, const std::string& hash, int64_t lifetime = 3600) {
    return MUST(sessions_.Create({.user_id = user.id,
                                  .secret_hash = hash,
                                  .csrf_token = "csrf-" + hash,
                                  .expires_at = clock_.NowUnix() + lifetime,
                                  .remote = "192.0.2.1",
                                  .user_agent = "test"}));
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
  SessionStore sessions_{*db_, clock_};
  User alice_;
  User bob_;
};

TEST_F(SessionStoreTest, FindsTheSessionAndItsUserBySecretHash) {
  Session made = Make(bob_, "hash-1");
  auto [found, user] = MUST(sessions_.FindBySecretHash("hash-1"));
  EXPECT_EQ(found.id, made.id);
  EXPECT_EQ(found.csrf_token, "csrf-hash-1");
  EXPECT_EQ(found.created_at, 1'800'000'000);
  EXPECT_EQ(found.expires_at, 1'800'003'600);
  EXPECT_EQ(found.remote, "192.0.2.1");
  EXPECT_EQ(found.user_agent, "test");
  EXPECT_EQ(user.name, "bob");
  EXPECT_EQ(user.role, Role::kAdmin);
  EXPECT_EQ(sessions_.FindBySecretHash("hash-2").error().code, ErrorCode::kNotFound);
}

TEST_F(SessionStoreTest, ExpiredSessionsAreNotFoundAndArePruned) {
  Make(alice_, "short", 60);
  Make(alice_, "long", 600);
  EXPECT_TRUE(sessions_.FindBySecretHash("short"));
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_EQ(sessions_.FindBySecretHash("short").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(MUST(sessions_.ListForUser(alice_.id)).size(), 1u);
  EXPECT_EQ(MUST(sessions_.PruneExpired()), 1);
  EXPECT_EQ(MUST(sessions_.PruneExpired()), 0);
  EXPECT_TRUE(sessions_.FindBySecretHash("long"));
}

TEST_F(SessionStoreTest, TouchWritesAtMostOncePerGranule) {
  Make(alice_, "h");
  Session session = MUST(sessions_.FindBySecretHash("h")).first;
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(sessions_.Touch(session));
  EXPECT_EQ(MUST(sessions_.FindBySecretHash("h")).first.last_seen_at, 1'800'000'000);
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(sessions_.Touch(session));
  EXPECT_EQ(MUST(sessions_.FindBySecretHash("h")).first.last_seen_at, 1'800'000'060);
}

TEST_F(SessionStoreTest, DeletesOneOrAllButOneOfAUsersSessions) {
  Session a1 = Make(alice_, "a1");
  Session a2 = Make(alice_, "a2");
  Session a3 = Make(alice_, "a3");
  Make(bob_, "b1");
  ASSERT_TRUE(sessions_.Delete(a1.id));
  EXPECT_EQ(sessions_.Delete(a1.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(sessions_.FindBySecretHash("a1"));
  EXPECT_EQ(MUST(sessions_.DeleteForUser(alice_.id, a3.id)), 1);
  EXPECT_FALSE(sessions_.FindBySecretHash("a2"));
  EXPECT_TRUE(sessions_.FindBySecretHash("a3"));
  EXPECT_EQ(MUST(sessions_.DeleteForUser(alice_.id)), 1);
  EXPECT_FALSE(sessions_.FindBySecretHash("a3"));
  EXPECT_TRUE(sessions_.FindBySecretHash("b1"));  // other users' sessions stay
  (void)a2;
}

TEST_F(SessionStoreTest, UsersPasswordHashesAreSetReadAndRemoved) {
  EXPECT_EQ(MUST(users_.PasswordHash(alice_.id)), std::nullopt);
  ASSERT_TRUE(users_.SetPasswordHash(alice_.id, std::string("$scrypt$x")));
  EXPECT_EQ(MUST(users_.PasswordHash(alice_.id)), "$scrypt$x");
  EXPECT_EQ(MUST(users_.PasswordHash(bob_.id)), std::nullopt);
  ASSERT_TRUE(users_.SetPasswordHash(alice_.id, std::nullopt));
  EXPECT_EQ(MUST(users_.PasswordHash(alice_.id)), std::nullopt);
  EXPECT_EQ(users_.SetPasswordHash(999, std::string("x")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(users_.PasswordHash(999).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace yard::store
