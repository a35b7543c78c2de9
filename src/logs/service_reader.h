#pragma once

// Reading the log store (store.h): one service's lines, filtered, forwards from a cursor's
// position or backwards from the end, and the merge of several services by time. A reader
// parses the time of every line it passes and the rest only of lines in the time range.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "logs/cursor.h"
#include "logs/line_format.h"
#include "logs/segment.h"
#include "logs/store.h"

namespace yard::logs {

/// What a line must be to be read, besides its service.
struct LineFilter {
  std::optional<int64_t> since_ns;  // inclusive
  std::optional<int64_t> until_ns;  // exclusive
  std::string grep;                 // a substring of the text; empty: any

  static LineFilter Of(const Query& query);
  /// True when the time range is empty.
  bool NoTime() const { return since_ns && until_ns && *since_ns >= *until_ns; }
  bool InTime(int64_t time_ns) const {
    return (!since_ns || time_ns >= *since_ns) && (!until_ns || time_ns < *until_ns);
  }
  bool Matches(std::string_view text) const;
};

/// The names of segments[0, count).
std::vector<int64_t> NamesOf(const std::vector<SegmentFile>& segments, size_t count);
/// The first segment (index into sorted `names`) that can hold lines at or after `since`.
size_t FirstSegmentFor(const std::vector<int64_t>& names, std::optional<int64_t> since);
/// After the last segment that can hold lines before `until`.
size_t EndSegmentFor(const std::vector<int64_t>& names, std::optional<int64_t> until);

/// One service's lines that pass a filter (and are of `container` when one is given), oldest
/// first, from a position on.
class ForwardServiceReader {
 public:
  /// Reads segments[first, end) of `dir`, the first from `first_offset`. `index` identifies
  /// the service to the merge (its order among services). `filter` must outlive the reader.
  /// REQUIRES: first < end <= segments.size().
  ForwardServiceReader(size_t index, std::string dir, std::vector<int64_t> segments, size_t first,
                       size_t end, uint64_t first_offset, const LineFilter& filter,
                       std::optional<std::string> container);

  size_t index() const { return index_; }
  bool has_head() const { return has_head_; }
  /// The line found last; valid until Advance.
  const LineView& head() const { return head_; }
  const Status& status() const { return status_; }

  /// Where reading goes on: at the head when there is one, else after every line read.
  SegmentPosition position() const { return has_head_ ? head_start_ : position_; }

  /// Moves to the next line that passes; false at the end of the complete lines (or on an
  /// error: see status()). A segment removed meanwhile (pruned) is passed over.
  bool Advance();
  /// Marks the head as taken: reading goes on after it.
  void Pop() { has_head_ = false; }

 private:
  size_t index_;
  std::string dir_;
  std::vector<int64_t> segments_;
  size_t next_;
  size_t first_;
  size_t end_;
  uint64_t first_offset_;
  const LineFilter& filter_;
  std::optional<std::string> container_;

  std::optional<ForwardLineReader> reader_;
  int64_t segment_ = 0;
  SegmentPosition position_;
  bool has_head_ = false;
  LineView head_;
  SegmentPosition head_start_;
  Status status_;
};

/// One service's lines that pass a filter, newest first.
class BackwardServiceReader {
 public:
  /// Reads segments[first, end) of `dir`, newest first; the newest of them through `newest`
  /// when given (opened where the logs ended as reading began). `filter` must outlive the
  /// reader.
  BackwardServiceReader(size_t index, std::string dir, std::vector<int64_t> segments, size_t first,
                        size_t end, std::optional<BackwardLineReader> newest,
                        const LineFilter& filter, std::optional<std::string> container);

  size_t index() const { return index_; }
  bool has_head() const { return has_head_; }
  const LineView& head() const { return head_; }
  const Status& status() const { return status_; }

  bool Advance();
  void Pop() { has_head_ = false; }

 private:
  size_t index_;
  std::string dir_;
  std::vector<int64_t> segments_;
  size_t first_;
  size_t next_;  // segments_[first_, next_) are still to be read
  const LineFilter& filter_;
  std::optional<std::string> container_;

  std::optional<BackwardLineReader> reader_;
  bool has_head_ = false;
  LineView head_;
  Status status_;
};

/// Appends up to `limit` lines of `readers` to `out`, oldest first; equal times in the
/// readers' order. `services` names the readers' indexes.
Status MergeForward(std::vector<ForwardServiceReader>& readers,
                    const std::vector<std::string>& services, size_t limit,
                    std::vector<StoredLine>& out);
/// The same newest first (equal times in the readers' reverse order, so that reversing `out`
/// gives what MergeForward would).
Status MergeBackward(std::vector<BackwardServiceReader>& readers,
                     const std::vector<std::string>& services, size_t limit,
                     std::vector<StoredLine>& out);

/// Sorts by time, keeping the order of equal times. A service's lines are in time order unless
/// two of its containers wrote at once (a rollout's overlap): their batches interleave.
void SortByTime(std::vector<StoredLine>& lines);

/// The container that ran before the newest one in `segments` of `dir`, containers ordered by
/// their first line; nullopt when there were fewer than two. Reads every line.
Result<std::optional<std::string>> PreviousContainer(const std::string& dir,
                                                     const std::vector<int64_t>& segments);

}  // namespace yard::logs
