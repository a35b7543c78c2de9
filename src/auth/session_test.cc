#include "auth/session.h"

#include <gtest/gtest.h>

#include "auth/authenticator.h"
#include "auth/token.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"

namespace yard::auth {
namespace {

TEST(CookieValueTest, FindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("yard_session=abc", "yard_session"), "abc");
  EXPECT_EQ(CookieValue("a=1; yard_session=abc; b=2", "yard_session"), "abc");
  EXPECT_EQ(CookieValue("a=1;yard_session=\"abc\"", "yard_session"), "abc");
  EXPECT_EQ(CookieValue("yard_session=first; yard_session=second", "yard_session"), "first");
  EXPECT_EQ(CookieValue("xyard_session=abc; yard_sessionx=1", "yard_session"), "");
  EXPECT_EQ(CookieValue("", "yard_session"), "");
  EXPECT_EQ(CookieValue("yard_session", "yard_session"), "");
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    user_ = MUST(users_.Create("alice", store::Role::kUser));
  }
  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  store::UserStore users_{*db_, clock_};
  store::ApiTokenStore tokens_{*db_, clock_};
  store::SessionStore sessions_{*db_, clock_};
  Authenticator authenticator_{tokens_, &sessions_};
  store::User user_;
};

TEST_F(SessionTest, StartsASessionThatTheCookieAuthenticates) {
  StartedSession started = MUST(StartSession(sessions_, user_.id, std::chrono::hours(1),
                                             clock_.NowUnix(), {"192.0.2.1", "browser"}));
  EXPECT_EQ(started.secret.size(), 64u);
  EXPECT_EQ(started.session.csrf_token.size(), 64u);
  EXPECT_NE(started.secret, started.session.csrf_token);
  EXPECT_EQ(started.session.expires_at, clock_.NowUnix() + 3600);
  // Only the hash is stored.
  EXPECT_TRUE(sessions_.FindBySecretHash(HashToken(started.secret)));
  EXPECT_FALSE(sessions_.FindBySecretHash(started.secret));

  Principal principal = MUST(authenticator_.AuthenticateSession(started.secret));
  EXPECT_EQ(principal.user.name, "alice");
  ASSERT_TRUE(principal.FromSession());
  EXPECT_EQ(principal.session->id, started.session.id);
  EXPECT_EQ(principal.token.id, 0);

  clock_.Advance(std::chrono::hours(1));
  auto expired = authenticator_.AuthenticateSession(started.secret);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(SessionTest, RejectsMalformedUnknownAndDeletedSecrets) {
  StartedSession started =
      MUST(StartSession(sessions_, user_.id, std::chrono::hours(1), clock_.NowUnix(), {}));
  for (const std::string& secret : {std::string(), std::string("abc"), std::string(64, 'g'),
                                    std::string(64, 'a'), started.secret + "0"}) {
    auto result = authenticator_.AuthenticateSession(secret);
    ASSERT_FALSE(result) << secret;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << secret;
  }
  ASSERT_TRUE(sessions_.Delete(started.session.id));
  EXPECT_FALSE(authenticator_.AuthenticateSession(started.secret));
  // Without a session store, no cookie is accepted.
  Authenticator tokens_only(tokens_);
  EXPECT_FALSE(tokens_only.AuthenticateSession(started.secret));
}

}  // namespace
}  // namespace yard::auth
