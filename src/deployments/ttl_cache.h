#pragma once

// A small cache of values that are slow to compute (engine statistics, directory sizes) and
// may be a little stale: each value is kept for a time to live. Callers that ask for a key
// being computed wait for that computation instead of starting their own, so a burst of
// requests (dashboards polling, a Prometheus scrape) costs one computation.

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>

namespace yard::deployments {

template <typename Key, typename Value>
class TtlCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit TtlCache(std::chrono::milliseconds ttl,
                    Clock now = [] { return std::chrono::steady_clock::now(); })
      : ttl_(ttl), now_(std::move(now)) {}

  /// The value for `key`, computed by `compute` when there is none younger than the time to
  /// live. `compute` must not throw.
  Value Get(const Key& key, const std::function<Value()>& compute) {
    std::promise<Value> promise;
    std::shared_future<Value> future;
    bool mine = false;
    {
      std::lock_guard lock(mutex_);
      auto now = now_();
      // Forget what expired long ago, so keys that are not asked for again do not pile up.
      std::erase_if(entries_, [&](const auto& entry) {
        return entry.second.ready && now - entry.second.at > 10 * ttl_;
      });
      auto it = entries_.find(key);
      if (it != entries_.end() && (!it->second.ready || now - it->second.at < ttl_)) {
        future = it->second.value;
      } else {
        future = promise.get_future().share();
        entries_[key] = Entry{future, now, false};
        mine = true;
      }
    }
    if (!mine) return future.get();
    promise.set_value(compute());
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.ready = true;
      it->second.at = now_();
    }
    return future.get();
  }

 private:
  struct Entry {
    std::shared_future<Value> value;
    std::chrono::steady_clock::time_point at;
    bool ready = false;
  };

  const std::chrono::milliseconds ttl_;
  const Clock now_;
  std::mutex mutex_;
  std::map<Key, Entry> entries_;
};

}  // namespace yard::deployments
