#pragma once

// Host ports for published container ports.
//
// A rootful Podman publishes a port with an iptables DNAT rule and holds no socket on it, so
// the kernel may hand the same port to any program on the host that binds port 0 — and that
// program's loopback clients are then sent to the container instead. Docker's userland proxy
// holds the port; Podman's does not. Ports are therefore picked here, below the kernel's
// ephemeral range, never by the engine.

#include <mutex>
#include <set>

#include "base/result.h"

namespace yard::runtime {

struct PortRange {
  int first = 0;
  int last = 0;  // inclusive
  bool Contains(int port) const { return port >= first && port <= last; }
};

/// The 10000 ports just below the kernel's ephemeral range (net.ipv4.ip_local_port_range),
/// never below 1024: 22768-32767 with the kernel's defaults.
PortRange DefaultPublishRange();

/// The 10000 ports (fewer above 1024) just below `ephemeral_first`.
PortRange PublishRangeBelow(int ephemeral_first);

/// Hands out host ports from a range. Thread-safe. A port is skipped when it is in `taken`
/// (what the engine already publishes), was handed out by this allocator lately (a container
/// being created is not listed yet), or cannot be bound on 127.0.0.1 (a program listens on it).
class HostPortAllocator {
 public:
  explicit HostPortAllocator(PortRange range);

  Result<int> Pick(const std::set<int>& taken);

 private:
  PortRange range_;
  std::mutex mutex_;
  int next_;             // where the next search starts; random at first, then round-robin
  std::set<int> recent_; // handed out and maybe not yet visible in the engine's list
};

/// True when a TCP socket can be bound to 127.0.0.1:port right now.
bool LoopbackPortFree(int port);

}  // namespace yard::runtime
