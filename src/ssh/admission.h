#pragma once

// Who may open an SSH connection now. The acceptor asks before any libssh state exists, so a
// flood of connections (or of garbage) costs a closed socket and nothing more: caps on all
// connections and on those not yet authenticated (in total and per address, like sshd's
// MaxStartups), and a ban on an address whose connections keep ending unauthenticated.
// Pure apart from the injected clock; thread-safe (the acceptor admits, connection threads
// report).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace yard::ssh {

struct AdmissionOptions {
  int max_connections = 256;
  int max_unauthenticated = 64;
  int max_unauthenticated_per_address = 10;
  /// This many connections from one address ending unauthenticated within `failure_window`
  /// ban the address for `ban_duration`.
  int ban_after_failures = 20;
  std::chrono::seconds failure_window{600};
  std::chrono::seconds ban_duration{600};
  /// A refusal is worth a log line at most this often per address.
  std::chrono::seconds log_interval{60};
};

/// The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its
/// /64, since one host commonly holds a whole /64 and could otherwise walk around every cap.
/// Anything that does not parse is its own key.
std::string AddressKey(std::string_view ip);

class Admission {
 public:
  using Ticket = uint64_t;

  struct Decision {
    /// Set when admitted: hand it back to Authenticated() and Ended().
    std::optional<Ticket> ticket;
    /// Why a connection was refused, for the log ("too many unauthenticated connections
    /// from 192.0.2.7 (10)").
    std::string reason;
    /// False when the same address was refused (and logged) a moment ago.
    bool log = true;

    bool admitted() const { return ticket.has_value(); }
  };

  explicit Admission(const Clock& clock, AdmissionOptions options = {});

  Decision Admit(std::string_view ip);
  /// The connection's user authenticated: it no longer counts as unauthenticated, and its end
  /// is not a failure.
  void Authenticated(Ticket ticket);
  /// The connection is over (closed, timed out, refused later). Ending unauthenticated counts
  /// towards a ban of its address. Unknown tickets are ignored.
  void Ended(Ticket ticket);

  int connections() const;
  int unauthenticated() const;
  bool Banned(std::string_view ip) const;
  /// Addresses with something remembered (open connections, failures, a ban, a recent log).
  size_t remembered_addresses() const;

 private:
  struct Open {
    std::string key;
    bool authenticated = false;
  };
  struct Address {
    int unauthenticated = 0;
    std::deque<int64_t> failures;  // when its connections ended unauthenticated, oldest first
    int64_t banned_until = 0;
    std::optional<int64_t> last_logged;  // the last refusal that was logged
  };

  Decision Refuse(Address& address, int64_t now, std::string reason);
  void Forget(int64_t now);  // drops addresses with nothing left to remember

  const Clock& clock_;
  const AdmissionOptions options_;
  mutable std::mutex mutex_;
  Ticket next_ticket_ = 1;
  std::map<Ticket, Open> open_;
  std::map<std::string, Address> addresses_;
  int unauthenticated_ = 0;
  int64_t last_forget_ = 0;
};

}  // namespace yard::ssh
