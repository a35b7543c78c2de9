#pragma once

// The appending side of one service's segments in the log store (store.h): it knows the
// segments, keeps the newest open, cuts off a partial line left by a crash, rotates and prunes.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "logs/log_line.h"

namespace yard::logs {

/// Not thread-safe by itself: the store holds mu() around every call but last_used().
class ServiceWriter {
 public:
  /// `options`, `clock` and `open_files` (the number of segments writers keep open, for the
  /// store to bound) must outlive the writer.
  ServiceWriter(std::string dir, const StoreOptions& options, const Clock& clock,
                std::atomic<int>& open_files);
  ~ServiceWriter();
  ServiceWriter(const ServiceWriter&) = delete;
  ServiceWriter& operator=(const ServiceWriter&) = delete;

  std::mutex& mu() { return mu_; }

  /// Appends `batch` (stored lines, line_format.h) in one write to the newest segment, or to a
  /// new one named `first_ns` when the newest is full; then applies the limits. `newest_ns`
  /// is the batch's newest time. Looks at the directory first when it has not yet, or after
  /// an error. kIo on disk errors; no partial line stays behind.
  Status Append(std::string_view batch, int64_t first_ns, int64_t newest_ns);

  /// Removes the oldest segments beyond the size limit, and those whose newest line is past
  /// the age limit; the directory too once no segment is left.
  Status Prune();

  /// Closes the newest segment (it is reopened by the next Append).
  void Close();
  /// Closes for good: the files were removed. The store then makes a new writer.
  void Retire();
  bool retired() const { return retired_; }

  /// Ordered by use, for closing the files used longest ago.
  uint64_t last_used() const { return last_used_.load(); }
  void set_last_used(uint64_t tick) { last_used_ = tick; }

 private:
  // A segment as the writer knows it.
  struct Segment {
    int64_t name = 0;
    uint64_t bytes = 0;
    // Its newest line's time: known for a segment appended to, read from the file when the
    // age limit asks about another.
    std::optional<int64_t> newest_ns;
  };

  Status Load();
  Status OpenNewest(bool create, int64_t name, int64_t newest_ns);
  int64_t NewestTimeOf(const Segment& segment, int64_t fallback) const;

  std::string dir_;
  const StoreOptions& options_;
  const Clock& clock_;
  std::atomic<int>& open_files_;
  std::mutex mu_;
  std::atomic<uint64_t> last_used_{0};

  bool loaded_ = false;
  bool retired_ = false;
  std::vector<Segment> segments_;  // oldest first
  UniqueFd file_;                  // the newest segment, open for appending
};

}  // namespace yard::logs
