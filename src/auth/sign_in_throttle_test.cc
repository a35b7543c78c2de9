#include "auth/sign_in_throttle.h"

#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace yard::auth {
namespace {

class SignInThrottleTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_{1'800'000'000};
  SignInThrottle throttle_{clock_, {.per_user_and_address = 3,
                                    .per_address = 5,
                                    .per_user = 8,
                                    .window_seconds = 600}};
};

TEST_F(SignInThrottleTest, RefusesAUserFromAnAddressAfterTheLimitUntilTheWindowMoves) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle_.RetryAfter("alice", "192.0.2.1"), std::nullopt) << i;
    throttle_.RecordFailure("alice", "192.0.2.1");
    clock_.Advance(std::chrono::seconds(10));
  }
  // The first failure was 30 s ago: it leaves the window in 570 s.
  EXPECT_EQ(throttle_.RetryAfter("alice", "192.0.2.1"), 570);
  EXPECT_EQ(throttle_.RetryAfter("ALICE", "192.0.2.1"), 570);  // names are case-blind
  EXPECT_EQ(throttle_.RetryAfter("bob", "192.0.2.1"), std::nullopt);
  // Whoever guessed from there cannot keep alice out elsewhere.
  EXPECT_EQ(throttle_.RetryAfter("alice", "192.0.2.9"), std::nullopt);
  clock_.Advance(std::chrono::seconds(570));
  EXPECT_EQ(throttle_.RetryAfter("alice", "192.0.2.1"), std::nullopt);
}

TEST_F(SignInThrottleTest, RefusesAUserGuessedFromManyAddresses) {
  for (int i = 0; i < 8; ++i) {
    std::string address = "198.51.100." + std::to_string(i);
    EXPECT_EQ(throttle_.RetryAfter("alice", address), std::nullopt) << i;
    throttle_.RecordFailure("alice", address);
  }
  EXPECT_TRUE(throttle_.RetryAfter("alice", "192.0.2.9").has_value());
  EXPECT_EQ(throttle_.RetryAfter("bob", "192.0.2.9"), std::nullopt);
}

TEST_F(SignInThrottleTest, RefusesAnAddressTryingManyUsers) {
  for (std::string user : {"a", "b", "c", "d", "e"}) throttle_.RecordFailure(user, "192.0.2.1");
  EXPECT_TRUE(throttle_.RetryAfter("f", "192.0.2.1").has_value());
  EXPECT_TRUE(throttle_.RetryAfter("", "192.0.2.1").has_value());  // a token sign-in
  EXPECT_EQ(throttle_.RetryAfter("f", "192.0.2.2"), std::nullopt);
}

TEST_F(SignInThrottleTest, ASuccessClearsTheUsersFailuresOnly) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("alice", "192.0.2.1");
  throttle_.RecordFailure("bob", "192.0.2.1");
  throttle_.RecordSuccess("alice", "192.0.2.1");
  EXPECT_EQ(throttle_.RetryAfter("alice", "192.0.2.1"), std::nullopt);
  throttle_.RecordFailure("carol", "192.0.2.1");
  // The address has five failures, success or not.
  EXPECT_TRUE(throttle_.RetryAfter("alice", "192.0.2.1").has_value());
}

TEST(ClientAddressTest, StripsThePortAndTrustsOnlyALocalProxy) {
  EXPECT_EQ(ClientAddress("192.0.2.1:5123", ""), "192.0.2.1");
  EXPECT_EQ(ClientAddress("2001:db8::1:5123", ""), "2001:db8::1");
  EXPECT_EQ(ClientAddress("192.0.2.1:5123", "198.51.100.7"), "192.0.2.1");
  EXPECT_EQ(ClientAddress("127.0.0.1:5123", "10.0.0.1, 198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(ClientAddress("::1:5123", "198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(ClientAddress("127.0.0.1:5123", ""), "127.0.0.1");
}

}  // namespace
}  // namespace yard::auth
