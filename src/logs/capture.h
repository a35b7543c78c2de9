#pragma once

// The capture: keeps the log store fed with the output of every container Stackyard manages.
//
// One follower thread per container (running, or exited and not yet drained) follows its
// output through Runtime::FollowLogs, splits it into lines (line_splitter.h) and appends
// them to the store in batches: after each piece the engine sends, and every `batch_lines`
// lines within one. The follower blocks while the store writes, so the engine is read no
// faster than the store takes lines, and nothing queues up in memory.
//
// A follower starts where the store ends for its container (Store::ResumeOf): the engine is
// asked from that time on and the lines at or before it that are already stored are skipped
// (by count, for lines at that very time), so a capture that stops (a server restart) and
// starts again stores every line once. The engine keeps a container's output while the
// container exists, so nothing is lost while no capture runs, as long as containers are
// removed only after Drain.
//
// Which containers: those the runtime lists (it lists only this installation's) with the
// deployment and component labels and a role in CaptureOptions::roles. Scan finds new ones;
// Start runs it every scan_interval on a thread of its own.

#include <atomic>
#include <chrono>
#include <functional>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "logs/store.h"
#include "runtime/runtime.h"

namespace yard::logs {

struct CaptureOptions {
  /// Containers whose kLabelRole is one of these are captured.
  std::vector<std::string> roles = {"service"};
  std::chrono::milliseconds scan_interval{1000};
  /// Scans wait until this says the engine is in use (empty: always), so that a capture
  /// never starts an engine nobody needs.
  std::function<bool()> active;
  /// Lines per Append at most.
  size_t batch_lines = 1000;
  /// Before following again a container whose output ended while it still runs (or was not
  /// yet started), and the first wait after an error (doubling up to 30 s while errors last).
  std::chrono::milliseconds retry_delay{1000};
};

struct CaptureStats {
  int64_t lines = 0;    // appended to the store since the capture was made
  int64_t untimed = 0;  // of them, lines that came without the engine's time
  int followers = 0;    // following a container now
};

class Capture {
 public:
  /// `runtime` and `store` must outlive the capture.
  Capture(runtime::Runtime& runtime, Store& store, CaptureOptions options = {});
  /// Stops it.
  ~Capture();

  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  /// Runs Scan now and then every scan_interval, on a thread of its own, until Stop.
  void Start();

  /// Lists the containers to capture and starts a follower for each new one that has started
  /// (and again for one that runs again after it was drained); forgets followers whose
  /// container is gone. Errors are the runtime's.
  Status Scan();

  /// Waits until every line of the container (its engine id, or an unambiguous prefix of at
  /// least 12 hex digits) is stored: the container has stopped and its follower has read
  /// its output to the end. Starts a follower if there is none. Ok at once for a container
  /// that does not exist, was never started or is not captured. For use before removing a
  /// container; a container still running is waited for until it stops. kTimeout when
  /// `timeout` passes first, kCancelled when the capture stops meanwhile.
  Status Drain(const std::string& container_id, std::chrono::milliseconds timeout);

  /// Stops the scans and every follower (a follower in the middle of a line stops without
  /// storing its first part: the next capture stores it whole) and waits for their threads.
  void Stop();

  CaptureStats stats();

 private:
  struct Follower;

  // The follower of a listed container, started. REQUIRES: mutex_ held.
  std::shared_ptr<Follower> StartFollower(const runtime::ContainerInfo& container);
  void Run(Follower& follower);
  // One pass of FollowLogs from the store's end. Returns what FollowLogs returned, or the
  // store's error.
  Status Pass(Follower& follower, std::optional<ResumePoint>& resume);
  // Waits for `delay` or Stop. Returns false when stopping.
  bool Sleep(Follower& follower, std::chrono::milliseconds delay);
  bool Captured(const runtime::ContainerInfo& container) const;

  runtime::Runtime& runtime_;
  Store& store_;
  CaptureOptions options_;

  std::mutex mutex_;
  std::condition_variable changed_;  // a follower finished, or stopping
  bool stopping_ = false;            // guarded by mutex_
  // By the engine's container id. Guarded by mutex_; a Follower's own fields as noted. Shared
  // with Drain, which may wait on one that a scan forgets meanwhile.
  std::map<std::string, std::shared_ptr<Follower>> followers_;
  std::thread scanner_;
  std::atomic<int64_t> lines_{0};
  std::atomic<int64_t> untimed_{0};
};

}  // namespace yard::logs
