#include "auth/sign_in_throttle.h"

#include <algorithm>
#include <cctype>

namespace yard::auth {
namespace {

constexpr size_t kMaxFailuresKept = 64;  // per key: enough to be over any limit

std::string Key(std::string_view kind, std::string_view value) {
  std::string key(kind);
  key += ':';
  for (char c : value) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// The key of a user name from one address ("" for a request that has none).
std::string PairKey(std::string_view user, std::string_view address) {
  return Key("pair", user) + "@" + std::string(address);
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

void SignInThrottle::Expire(Failures& failures, int64_t now) const {
  while (!failures.empty() && failures.front() + limits_.window_seconds <= now) {
    failures.pop_front();
  }
}

std::optional<int64_t> SignInThrottle::Blocked(const std::string& key, int limit, int64_t now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return std::nullopt;
  Expire(it->second, now);
  if (static_cast<int>(it->second.size()) < limit) return std::nullopt;
  // Allowed again once enough failures have left the window to be under the limit.
  int64_t oldest = it->second[it->second.size() - static_cast<size_t>(limit)];
  return std::max<int64_t>(1, oldest + limits_.window_seconds - now);
}

std::optional<int64_t> SignInThrottle::RetryAfter(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  int64_t now = clock_.NowUnix();
  std::optional<int64_t> wait;
  auto check = [&](const std::string& key, int limit) {
    if (auto blocked = Blocked(key, limit, now)) wait = std::max(wait.value_or(0), *blocked);
  };
  if (!user.empty()) {
    check(PairKey(user, address), limits_.per_user_and_address);
    check(Key("user", user), limits_.per_user);
  }
  if (!address.empty()) check(Key("address", address), limits_.per_address);
  return wait;
}

void SignInThrottle::RecordFailure(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  int64_t now = clock_.NowUnix();
  Sweep(now);
  for (const std::string& key : {user.empty() ? std::string() : PairKey(user, address),
                                 user.empty() ? std::string() : Key("user", user),
                                 address.empty() ? std::string() : Key("address", address)}) {
    if (key.empty()) continue;
    Failures& failures = failures_[key];
    Expire(failures, now);
    failures.push_back(now);
    if (failures.size() > kMaxFailuresKept) failures.pop_front();
  }
}

void SignInThrottle::RecordSuccess(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  failures_.erase(Key("user", user));
  failures_.erase(PairKey(user, address));
}

void SignInThrottle::Sweep(int64_t now) {
  if (now - last_sweep_ < 60) return;
  last_sweep_ = now;
  for (auto it = failures_.begin(); it != failures_.end();) {
    Expire(it->second, now);
    it = it->second.empty() ? failures_.erase(it) : std::next(it);
  }
}

std::string ClientAddress(std::string_view remote, std::string_view forwarded_for) {
  // The HTTP server gives "ADDRESS:PORT" (IPv6 without brackets): the port follows the last ':'.
  std::string_view address = remote.substr(0, remote.rfind(':'));
  bool loopback =
      address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
  if (loopback && !forwarded_for.empty()) {
    size_t comma = forwarded_for.rfind(',');
    std::string_view last =
        Trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    if (!last.empty()) return std::string(last);
  }
  return std::string(address);
}

}  // namespace yard::auth
