#include "ssh/admission.h"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cstring>
#include <iterator>

namespace yard::ssh {
namespace {

// How often Admit sweeps out addresses it no longer needs to remember.
constexpr int64_t kForgetEverySeconds = 60;

}  // namespace

std::string AddressKey(std::string_view ip) {
  std::string text(ip);
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    char v4[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &v6.s6_addr[12], v4, sizeof v4);
    return v4;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  char prefix[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &v6, prefix, sizeof prefix);
  return std::string(prefix) + "/64";
}

Admission::Admission(const Clock& clock, AdmissionOptions options)
    : clock_(clock), options_(options) {}

Admission::Decision Admission::Admit(std::string_view ip) {
  const int64_t now = clock_.NowUnix();
  const std::string key = AddressKey(ip);
  std::lock_guard lock(mutex_);
  if (now - last_forget_ >= kForgetEverySeconds) Forget(now);
  Address& address = addresses_[key];
  while (!address.failures.empty() &&
         address.failures.front() <= now - options_.failure_window.count()) {
    address.failures.pop_front();
  }
  if (address.banned_until > now) {
    return Refuse(address, now,
                  fmt::format("{} is banned until {}: {} connections ended unauthenticated within "
                              "{} s",
                              key, FormatTimestamp(address.banned_until),
                              options_.ban_after_failures, options_.failure_window.count()));
  }
  if (static_cast<int>(open_.size()) >= options_.max_connections) {
    return Refuse(
        address, now,
        fmt::format("too many connections ({}); refused {}", options_.max_connections, ip));
  }
  if (unauthenticated_ >= options_.max_unauthenticated) {
    return Refuse(address, now,
                  fmt::format("too many unauthenticated connections ({}); refused {}",
                              options_.max_unauthenticated, ip));
  }
  if (address.unauthenticated >= options_.max_unauthenticated_per_address) {
    return Refuse(address, now,
                  fmt::format("too many unauthenticated connections from {} ({})", key,
                              options_.max_unauthenticated_per_address));
  }
  Ticket ticket = next_ticket_++;
  open_.emplace(ticket, Open{key, false});
  ++address.unauthenticated;
  ++unauthenticated_;
  return Decision{.ticket = ticket};
}

Admission::Decision Admission::Refuse(Address& address, int64_t now, std::string reason) {
  Decision decision{.reason = std::move(reason)};
  decision.log =
      !address.last_logged || now - *address.last_logged >= options_.log_interval.count();
  if (decision.log) address.last_logged = now;
  return decision;
}

void Admission::Authenticated(Ticket ticket) {
  std::lock_guard lock(mutex_);
  auto open = open_.find(ticket);
  if (open == open_.end() || open->second.authenticated) return;
  open->second.authenticated = true;
  --addresses_[open->second.key].unauthenticated;
  --unauthenticated_;
}

void Admission::Ended(Ticket ticket) {
  const int64_t now = clock_.NowUnix();
  std::lock_guard lock(mutex_);
  auto open = open_.find(ticket);
  if (open == open_.end()) return;
  if (!open->second.authenticated) {
    Address& address = addresses_[open->second.key];
    --address.unauthenticated;
    --unauthenticated_;
    address.failures.push_back(now);
    while (address.failures.front() <= now - options_.failure_window.count()) {
      address.failures.pop_front();
    }
    if (static_cast<int>(address.failures.size()) >= options_.ban_after_failures) {
      address.banned_until = now + options_.ban_duration.count();
      // The ban is the sentence for these failures; afterwards the count starts again.
      address.failures.clear();
    }
  }
  open_.erase(open);
}

int Admission::connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(open_.size());
}

int Admission::unauthenticated() const {
  std::lock_guard lock(mutex_);
  return unauthenticated_;
}

bool Admission::Banned(std::string_view ip) const {
  const int64_t now = clock_.NowUnix();
  std::lock_guard lock(mutex_);
  auto address = addresses_.find(AddressKey(ip));
  return address != addresses_.end() && address->second.banned_until > now;
}

size_t Admission::remembered_addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.size();
}

void Admission::Forget(int64_t now) {
  last_forget_ = now;
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    const Address& address = it->second;
    bool idle =
        address.unauthenticated == 0 && address.banned_until <= now &&
        (!address.last_logged || now - *address.last_logged >= options_.log_interval.count()) &&
        (address.failures.empty() ||
         address.failures.back() <= now - options_.failure_window.count());
    it = idle ? addresses_.erase(it) : std::next(it);
  }
}

}  // namespace yard::ssh
