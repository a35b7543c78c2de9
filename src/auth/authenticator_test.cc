#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include "auth/credentials.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"

namespace yard::auth {
namespace {

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    user_ = MUST(users_.Create("alice", store::Role::kUser));
  }
  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  store::UserStore users_{*db_, clock_};
  store::ApiTokenStore tokens_{*db_, clock_};
  Authenticator authenticator_{tokens_};
  store::User user_;
};

TEST_F(AuthenticatorTest, AcceptsAValidBearerToken) {
  IssuedToken issued = MUST(IssueToken(tokens_, user_.id, "cli", std::nullopt));
  Principal principal = MUST(authenticator_.Authenticate("Bearer " + issued.secret));
  EXPECT_EQ(principal.user.name, "alice");
  EXPECT_EQ(principal.token.id, issued.token.id);
  EXPECT_FALSE(principal.IsAdmin());
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_TRUE(authenticator_.Authenticate("bearer " + issued.secret));
  // The use was recorded.
  EXPECT_TRUE(MUST(tokens_.ListForUser(user_.id))[0].last_used_at.has_value());
}

TEST_F(AuthenticatorTest, RejectsMissingMalformedUnknownAndExpiredTokens) {
  IssuedToken expiring = MUST(IssueToken(tokens_, user_.id, "short", clock_.NowUnix() + 10));
  std::string unknown = "Bearer yard_" + std::string(40, 'x');
  for (const std::string& header :
       {std::string(), std::string("Basic dXNlcjpwYXNz"), std::string("Bearer"),
        std::string("Bearer "), std::string("Bearer not-a-token"), unknown}) {
    auto result = authenticator_.Authenticate(header);
    ASSERT_FALSE(result) << header;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << header;
  }
  EXPECT_TRUE(authenticator_.Authenticate("Bearer " + expiring.secret));
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(authenticator_.Authenticate("Bearer " + expiring.secret).error().code,
            ErrorCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, RevokedTokensStopWorking) {
  IssuedToken issued = MUST(IssueToken(tokens_, user_.id, "cli", std::nullopt));
  ASSERT_TRUE(authenticator_.Authenticate("Bearer " + issued.secret));
  ASSERT_TRUE(tokens_.Revoke(user_.id, issued.token.id));
  EXPECT_FALSE(authenticator_.Authenticate("Bearer " + issued.secret));
}

TEST(CredentialsTest, LabelsMustBePrintableAndShort) {
  EXPECT_TRUE(ValidateLabel("my laptop", "name"));
  EXPECT_TRUE(ValidateLabel("caf\xc3\xa9", "name"));
  EXPECT_FALSE(ValidateLabel("", "name"));
  EXPECT_FALSE(ValidateLabel(std::string(65, 'a'), "name"));
  EXPECT_FALSE(ValidateLabel("line\nbreak", "name"));
  EXPECT_FALSE(ValidateLabel("escape\x1b[31m", "name"));
}

}  // namespace
}  // namespace yard::auth
