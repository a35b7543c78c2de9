#include "ssh/admission.h"

#include <gtest/gtest.h>

#include <vector>

#include "testing/fake_clock.h"

namespace yard::ssh {
namespace {

using namespace std::chrono_literals;

class AdmissionTest : public ::testing::Test {
 protected:
  Admission::Ticket MustAdmit(Admission& admission, std::string_view ip) {
    Admission::Decision decision = admission.Admit(ip);
    EXPECT_TRUE(decision.admitted()) << ip << ": " << decision.reason;
    return decision.ticket.value_or(0);
  }

  testing::FakeClock clock_;
};

TEST_F(AdmissionTest, AddressKeys) {
  EXPECT_EQ(AddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(AddressKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(AddressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressKey("2001:db8:1:2::99"), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressKey("::1"), "::/64");
  EXPECT_EQ(AddressKey("not an address"), "not an address");
}

TEST_F(AdmissionTest, CapsConnectionsInTotal) {
  Admission admission(clock_, {.max_connections = 3, .max_unauthenticated = 100});
  std::vector<Admission::Ticket> tickets;
  for (int i = 0; i < 3; ++i) {
    tickets.push_back(MustAdmit(admission, "192.0.2." + std::to_string(i)));
    admission.Authenticated(tickets.back());
  }
  Admission::Decision refused = admission.Admit("192.0.2.50");
  EXPECT_FALSE(refused.admitted());
  EXPECT_EQ(refused.reason, "too many connections (3); refused 192.0.2.50");
  admission.Ended(tickets[0]);
  MustAdmit(admission, "192.0.2.50");
  EXPECT_EQ(admission.connections(), 3);
}

TEST_F(AdmissionTest, CapsUnauthenticatedConnectionsInTotalAndPerAddress) {
  Admission admission(clock_, {.max_unauthenticated = 4, .max_unauthenticated_per_address = 2});
  Admission::Ticket first = MustAdmit(admission, "192.0.2.1");
  MustAdmit(admission, "192.0.2.1");
  Admission::Decision refused = admission.Admit("192.0.2.1");
  EXPECT_FALSE(refused.admitted());
  EXPECT_EQ(refused.reason, "too many unauthenticated connections from 192.0.2.1 (2)");
  // One of them authenticates: the address may start another.
  admission.Authenticated(first);
  admission.Authenticated(first);  // twice changes nothing
  MustAdmit(admission, "192.0.2.1");
  EXPECT_EQ(admission.unauthenticated(), 2);
  // The total cap holds for every address together.
  MustAdmit(admission, "192.0.2.2");
  MustAdmit(admission, "192.0.2.3");
  refused = admission.Admit("192.0.2.4");
  EXPECT_FALSE(refused.admitted());
  EXPECT_EQ(refused.reason, "too many unauthenticated connections (4); refused 192.0.2.4");
  EXPECT_EQ(admission.connections(), 5);
}

TEST_F(AdmissionTest, AnIpv6HostCannotWalkAroundThePerAddressCap) {
  Admission admission(clock_, {.max_unauthenticated_per_address = 2});
  MustAdmit(admission, "2001:db8::1");
  MustAdmit(admission, "2001:db8::2");
  EXPECT_FALSE(admission.Admit("2001:db8::3").admitted());
  MustAdmit(admission, "2001:db8:0:1::1");
}

TEST_F(AdmissionTest, BansAnAddressWhoseConnectionsKeepFailing) {
  Admission admission(clock_,
                      {.ban_after_failures = 3, .failure_window = 600s, .ban_duration = 300s});
  for (int i = 0; i < 2; ++i) {
    admission.Ended(MustAdmit(admission, "192.0.2.9"));
    clock_.Advance(10s);
  }
  // Authenticated connections and other addresses do not count.
  Admission::Ticket good = MustAdmit(admission, "192.0.2.9");
  admission.Authenticated(good);
  admission.Ended(good);
  admission.Ended(MustAdmit(admission, "192.0.2.10"));
  EXPECT_FALSE(admission.Banned("192.0.2.9"));

  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  EXPECT_TRUE(admission.Banned("192.0.2.9"));
  Admission::Decision refused = admission.Admit("192.0.2.9");
  EXPECT_FALSE(refused.admitted());
  EXPECT_NE(refused.reason.find("192.0.2.9 is banned until"), std::string::npos) << refused.reason;
  EXPECT_NE(refused.reason.find("3 connections ended unauthenticated"), std::string::npos)
      << refused.reason;
  MustAdmit(admission, "192.0.2.10");

  clock_.Advance(299s);
  EXPECT_FALSE(admission.Admit("192.0.2.9").admitted());
  clock_.Advance(1s);
  EXPECT_FALSE(admission.Banned("192.0.2.9"));
  // The ban served the sentence: failures count from zero again.
  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  MustAdmit(admission, "192.0.2.9");
}

TEST_F(AdmissionTest, FailuresOutsideTheWindowAreForgotten) {
  Admission admission(clock_, {.ban_after_failures = 3, .failure_window = 600s});
  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  clock_.Advance(600s);
  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  EXPECT_FALSE(admission.Banned("192.0.2.9"));
  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  admission.Ended(MustAdmit(admission, "192.0.2.9"));
  EXPECT_TRUE(admission.Banned("192.0.2.9"));
}

TEST_F(AdmissionTest, RefusalsAreLoggedOncePerIntervalAndAddress) {
  Admission admission(clock_, {.max_unauthenticated_per_address = 1, .log_interval = 60s});
  MustAdmit(admission, "192.0.2.1");
  MustAdmit(admission, "192.0.2.2");
  EXPECT_TRUE(admission.Admit("192.0.2.1").log);
  EXPECT_FALSE(admission.Admit("192.0.2.1").log);
  EXPECT_TRUE(admission.Admit("192.0.2.2").log);
  clock_.Advance(59s);
  EXPECT_FALSE(admission.Admit("192.0.2.1").log);
  clock_.Advance(1s);
  EXPECT_TRUE(admission.Admit("192.0.2.1").log);
}

TEST_F(AdmissionTest, UnknownTicketsAreIgnored) {
  Admission admission(clock_);
  admission.Authenticated(42);
  admission.Ended(42);
  Admission::Ticket ticket = MustAdmit(admission, "192.0.2.1");
  admission.Ended(ticket);
  admission.Ended(ticket);
  EXPECT_EQ(admission.connections(), 0);
  EXPECT_EQ(admission.unauthenticated(), 0);
}

TEST_F(AdmissionTest, ManyAddressesOverTimeLeaveNothingBehind) {
  Admission admission(clock_, {.max_unauthenticated_per_address = 1});
  for (int i = 0; i < 1000; ++i) {
    std::string ip = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    Admission::Ticket ticket = MustAdmit(admission, ip);
    if (i % 2 == 0) admission.Authenticated(ticket);
    admission.Ended(ticket);
    clock_.Advance(1s);
  }
  EXPECT_LT(admission.remembered_addresses(), 1000u);
  clock_.Advance(3600s);
  MustAdmit(admission, "192.0.2.1");
  EXPECT_EQ(admission.remembered_addresses(), 1u);
}

}  // namespace
}  // namespace yard::ssh
