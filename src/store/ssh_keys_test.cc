#include "store/ssh_keys.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/users.h"
#include "testing/fake_clock.h"

namespace yard::store {
namespace {

SshKey MakeKey(int64_t user_id, std::string fingerprint) {
  return SshKey{.user_id = user_id,
                .name = "laptop",
                .key_type = "ssh-ed25519",
                .public_key = "AAAAC3NzaC1lZDI1NTE5AAAAI",
                .fingerprint = std::move(fingerprint),
                .bits = 256};
}

class SshKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(Migrate(*db_, SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", Role::kUser));
    bob_ = MUST(users_.Create("bob", Role::kUser));
  }
  std::unique_ptr<Database> db_ = MUST(Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  UserStore users_{*db_, clock_};
  SshKeyStore keys_{*db_, clock_};
  User alice_;
  User bob_;
};

TEST_F(SshKeyStoreTest, AddsListsAndFinds) {
  SshKey added = MUST(keys_.Add(MakeKey(alice_.id, "SHA256:one")));
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.created_at, clock_.NowUnix());
  auto listed = MUST(keys_.ListForUser(alice_.id));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].fingerprint, "SHA256:one");
  EXPECT_EQ(MUST(keys_.FindByFingerprint("SHA256:one")).user_id, alice_.id);
  EXPECT_TRUE(MUST(keys_.ListForUser(bob_.id)).empty());
}

TEST_F(SshKeyStoreTest, AKeyBelongsToOneUser) {
  MUST(keys_.Add(MakeKey(alice_.id, "SHA256:one")));
  auto mine = keys_.Add(MakeKey(alice_.id, "SHA256:one"));
  ASSERT_FALSE(mine);
  EXPECT_EQ(mine.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(mine.error().message.find("already in your profile"), std::string::npos);
  auto theirs = keys_.Add(MakeKey(bob_.id, "SHA256:one"));
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(theirs.error().message.find("another user"), std::string::npos);
}

TEST_F(SshKeyStoreTest, RemovesByIdOrFingerprintOnlyForTheOwner) {
  SshKey one = MUST(keys_.Add(MakeKey(alice_.id, "SHA256:one")));
  MUST(keys_.Add(MakeKey(alice_.id, "SHA256:two")));
  EXPECT_EQ(keys_.Remove(bob_.id, std::to_string(one.id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(keys_.Remove(bob_.id, "SHA256:two").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(keys_.Remove(alice_.id, std::to_string(one.id)));
  ASSERT_TRUE(keys_.Remove(alice_.id, "SHA256:two"));
  EXPECT_TRUE(MUST(keys_.ListForUser(alice_.id)).empty());
  EXPECT_EQ(keys_.Remove(alice_.id, "").error().code, ErrorCode::kNotFound);
}

TEST_F(SshKeyStoreTest, TouchLastUsedWritesAtMostOnceAMinute) {
  MUST(keys_.Add(MakeKey(alice_.id, "SHA256:one")));
  SshKey key = MUST(keys_.FindByFingerprint("SHA256:one"));
  EXPECT_EQ(key.last_used_at, std::nullopt);
  int64_t first = clock_.NowUnix();
  ASSERT_TRUE(keys_.TouchLastUsed(key));
  EXPECT_EQ(MUST(keys_.FindByFingerprint("SHA256:one")).last_used_at, first);

  // A stale copy (read before the first login wrote) does not write again within the minute.
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(keys_.TouchLastUsed(key));
  key = MUST(keys_.FindByFingerprint("SHA256:one"));
  EXPECT_EQ(key.last_used_at, first);
  ASSERT_TRUE(keys_.TouchLastUsed(key));
  EXPECT_EQ(MUST(keys_.FindByFingerprint("SHA256:one")).last_used_at, first);

  clock_.Advance(std::chrono::seconds(31));
  ASSERT_TRUE(keys_.TouchLastUsed(key));
  EXPECT_EQ(MUST(keys_.FindByFingerprint("SHA256:one")).last_used_at, clock_.NowUnix());
  EXPECT_EQ(MUST(keys_.ListForUser(alice_.id))[0].last_used_at, clock_.NowUnix());
}

}  // namespace
}  // namespace yard::store
