#include "runtime/host_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "base/fs.h"

namespace yard::runtime {

namespace {
constexpr int kRangeSize = 10000;
constexpr int kLinuxEphemeralFirst = 32768;
// Remembered hand-outs: enough to cover every container a burst of deployments creates
// before the engine lists them, small enough that the range never runs dry because of it.
constexpr size_t kRecentKept = 512;
}  // namespace

PortRange PublishRangeBelow(int ephemeral_first) {
  int last = std::clamp(ephemeral_first - 1, 1024 + 1, 65535);
  int first = std::max(1024, last - kRangeSize + 1);
  return {.first = first, .last = last};
}

PortRange DefaultPublishRange() {
  int ephemeral_first = kLinuxEphemeralFirst;
  if (auto text = fs::ReadFile("/proc/sys/net/ipv4/ip_local_port_range")) {
    std::istringstream in(*text);
    int first = 0;
    if (in >> first && first > 1024) ephemeral_first = first;
  }
  return PublishRangeBelow(ephemeral_first);
}

bool LoopbackPortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return free;
}

HostPortAllocator::HostPortAllocator(PortRange range) : range_(range) {
  // A random start keeps two servers on one machine (or a server and its restarted self)
  // from walking the range in step.
  std::random_device seed;
  std::uniform_int_distribution<int> start(range_.first, range_.last);
  next_ = start(seed);
}

Result<int> HostPortAllocator::Pick(const std::set<int>& taken) {
  std::lock_guard lock(mutex_);
  const int size = range_.last - range_.first + 1;
  for (int i = 0; i < size; ++i) {
    int port = range_.first + (next_ - range_.first + i) % size;
    if (taken.contains(port) || recent_.contains(port) || !LoopbackPortFree(port)) continue;
    next_ = port + 1 > range_.last ? range_.first : port + 1;
    if (recent_.size() >= kRecentKept) recent_.erase(recent_.begin());
    recent_.insert(port);
    return port;
  }
  return Unexpected(ErrorCode::kUnavailable,
                    fmt::format("no free host port left in {}-{} to publish a container port",
                                range_.first, range_.last));
}

}  // namespace yard::runtime
