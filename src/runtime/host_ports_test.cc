#include "runtime/host_ports.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace yard::runtime {
namespace {

TEST(PublishRangeTest, TenThousandPortsJustBelowTheEphemeralRange) {
  PortRange range = PublishRangeBelow(32768);
  EXPECT_EQ(range.first, 22768);
  EXPECT_EQ(range.last, 32767);
  EXPECT_FALSE(range.Contains(32768));
  EXPECT_TRUE(range.Contains(22768));
}

TEST(PublishRangeTest, NeverBelowThePrivilegedPorts) {
  PortRange range = PublishRangeBelow(5000);
  EXPECT_EQ(range.first, 1024);
  EXPECT_EQ(range.last, 4999);
}

TEST(PublishRangeTest, TheMachinesRangeStaysOutOfItsEphemeralPorts) {
  PortRange range = DefaultPublishRange();
  EXPECT_LT(range.first, range.last);
  EXPECT_GE(range.first, 1024);
}

TEST(HostPortAllocatorTest, SkipsTakenAndRecentlyHandedOutPorts) {
  // A range high above the usual listeners; ports in use on the machine are skipped anyway.
  HostPortAllocator allocator({.first = 23000, .last = 23009});
  std::set<int> taken = {23000, 23001, 23002, 23003, 23004};
  std::set<int> picked;
  for (int i = 0; i < 5; ++i) {
    auto port = allocator.Pick(taken);
    if (!port) break;  // a port of the range is in use by another program on this machine
    EXPECT_FALSE(taken.contains(*port)) << *port;
    EXPECT_TRUE(picked.insert(*port).second) << "handed out twice: " << *port;
  }
  EXPECT_GE(picked.size(), 1u);
  // Every port is now taken or recent: the range is used up, and it says so.
  for (int port = 23005; port <= 23009; ++port) taken.insert(port);
  auto none = allocator.Pick(taken);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(none.error().message.find("23000-23009"), std::string::npos) << none.error().message;
}

TEST(HostPortAllocatorTest, SkipsAPortAProgramListensOn) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  int listening = ntohs(address.sin_port);
  EXPECT_FALSE(LoopbackPortFree(listening));

  HostPortAllocator allocator({.first = listening, .last = listening});
  EXPECT_FALSE(allocator.Pick({}));
  ::close(fd);
  EXPECT_TRUE(allocator.Pick({})) << "the port is free again";
}

}  // namespace
}  // namespace yard::runtime
