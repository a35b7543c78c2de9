#pragma once

// Slows down password guessing: failed sign-ins are counted per user name from one client
// address, per client address and per user name over a sliding window; once one of them
// reaches its limit, sign-ins for it are refused (HTTP 429) until the oldest failure in the
// window is old enough. The low limit is the pair's: someone guessing from one address cannot
// lock the user out of signing in from elsewhere; the user's own limit is high and bounds
// guessing spread over many addresses. Kept in memory: a restart forgets it, which costs an
// attacker a restart they cannot cause.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace yard::auth {

struct ThrottleLimits {
  int per_user_and_address = 5;
  /// Higher than the pair's: people behind one address (an office's NAT) share it.
  int per_address = 20;
  /// From all addresses together: only a guess spread over many addresses gets there.
  int per_user = 100;
  int64_t window_seconds = 15 * 60;
};

/// Thread-safe.
class SignInThrottle {
 public:
  explicit SignInThrottle(const Clock& clock, ThrottleLimits limits = {})
      : clock_(clock), limits_(limits) {}

  /// Seconds until a sign-in as `user` (may be empty: a token) from `address` may be tried
  /// again; nullopt when it may be tried now.
  std::optional<int64_t> RetryAfter(std::string_view user, std::string_view address);
  /// Counts a failed attempt against the pair, the address and the user.
  void RecordFailure(std::string_view user, std::string_view address);
  /// A successful sign-in clears the user's failures and the pair's (not the address's: an
  /// attacker with an account of their own could otherwise reset it between guesses).
  void RecordSuccess(std::string_view user, std::string_view address);

 private:
  using Failures = std::deque<int64_t>;  // times, oldest first
  void Expire(Failures& failures, int64_t now) const;
  std::optional<int64_t> Blocked(const std::string& key, int limit, int64_t now);
  // Drops keys whose failures all left the window, so that the maps stay small.
  void Sweep(int64_t now);

  const Clock& clock_;
  const ThrottleLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Failures> failures_;  // guarded by mutex_
  int64_t last_sweep_ = 0;                              // guarded by mutex_
};

/// The client's address for throttling: the peer's IP without its port, or when the peer is
/// a proxy on this machine (loopback), the last address of its X-Forwarded-For.
std::string ClientAddress(std::string_view remote, std::string_view forwarded_for);

}  // namespace yard::auth
