#pragma once

// A minimal authoritative DNS responder on 127.0.0.1 over UDP that answers A queries from a
// table. Caddy's reverse proxy takes its upstreams from such lookups (`dynamic_upstreams`
// with `source: "a"` and this responder as its resolver), so that moving a route from an old
// container to a new one is a table update here instead of a Caddy config reload, which in
// Caddy 2.6 drops open connections.
//
// What it answers, for a query (QR=0) of opcode QUERY with exactly one question:
//   - a name not in the table: NXDOMAIN;
//   - a name in the table, type A: one record per address (TTL 0, so that Caddy never keeps a
//     stale upstream), NOERROR; an empty list gives NOERROR with no records;
//   - a name in the table, any other type: NOERROR with no records. Go's resolver asks for
//     AAAA beside A and must get a quick empty answer rather than wait for a timeout.
// A malformed question gets FORMERR, another opcode NOTIMP; responses and datagrams shorter
// than a header get nothing. EDNS0 is understood only in that its OPT record is ignored:
// answers carry no OPT and stay within 512 bytes: addresses that do not fit are left out,
// without TC, because Go's resolver retries a TC answer over TCP, which Caddy's resolver
// sends as a UDP datagram here, so the name would fail to resolve at all. A question of the
// longest possible name leaves room for 15 addresses, a name of 20 characters for 29.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace yard::edge {

class UpstreamDns {
 public:
  UpstreamDns();
  ~UpstreamDns();  // Stop()
  UpstreamDns(const UpstreamDns&) = delete;
  UpstreamDns& operator=(const UpstreamDns&) = delete;

  /// Binds UDP 127.0.0.1:`port` (0: the kernel picks) and starts answering on a thread of its
  /// own. Fails with kFailedPrecondition when already started, kIo when the socket cannot be
  /// had. Start and Stop are called by the owner, not concurrently with each other.
  Status Start(uint16_t port = 0);
  /// Ends the thread (promptly: it waits on the socket and a wake-up pipe, not on a timer)
  /// and closes the socket. Idempotent; Start may be called again afterwards.
  void Stop();
  /// The bound port; 0 before Start.
  uint16_t port() const;

  /// The addresses (IPv4 dotted quads) `name` resolves to; an empty list: the name exists but
  /// has no address (answer NOERROR with no records). Names are case-insensitive, compared
  /// without a trailing dot. An address that is not a dotted quad is logged and left out.
  /// Takes effect for the next query; safe from any thread.
  void Set(const std::string& name, std::vector<std::string> addresses);
  /// Forgets `name`: queries for it get NXDOMAIN.
  void Remove(const std::string& name);

  /// Queries answered so far (every response sent, errors included; for tests).
  uint64_t answered() const;

 private:
  using Address = std::array<uint8_t, 4>;

  void Serve();
  /// The response to one datagram, or nothing when it deserves none.
  std::vector<uint8_t> Respond(const uint8_t* query, size_t size) const;

  mutable std::mutex mutex_;  // guards table_
  std::unordered_map<std::string, std::vector<Address>> table_;

  int socket_ = -1;
  int wake_read_ = -1;  // Stop writes to wake_write_ to end the poll in Serve
  int wake_write_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<uint64_t> answered_{0};
};

}  // namespace yard::edge
