#include "logs/service_reader.h"

#include <string.h>

#include <algorithm>

namespace yard::logs {
namespace {

bool IsNotFound(const Error& error) { return error.code == ErrorCode::kNotFound; }

// Whether a stored line passes; if so `view` holds its fields (viewing `stored`).
bool Passes(std::string_view stored, const LineFilter& filter,
            const std::optional<std::string>& container, LineView& view) {
  // The time decides most lines: the rest is parsed only for those in range.
  std::optional<int64_t> time = ParseLineTime(stored);
  if (!time || !filter.InTime(*time)) return false;
  // A line without the text searched for anywhere is not parsed either.
  if (!filter.Matches(stored)) return false;
  std::optional<LineView> parsed = ParseLine(stored);
  if (!parsed) return false;
  if (container && parsed->container != *container) return false;
  if (!filter.Matches(parsed->text)) return false;
  view = *parsed;
  return true;
}

// Takes up to `limit` lines by time: the oldest first unless `newest_first`. Readers are in
// index order, so on a tie the earlier one wins going forwards and the later one backwards.
template <typename Reader>
Status Merge(std::vector<Reader>& readers, const std::vector<std::string>& services, size_t limit,
             bool newest_first, std::vector<StoredLine>& out) {
  for (Reader& reader : readers) {
    if (!reader.Advance()) TRY(reader.status());
  }
  while (out.size() < limit) {
    Reader* best = nullptr;
    for (Reader& reader : readers) {
      if (!reader.has_head()) continue;
      if (best == nullptr) {
        best = &reader;
        continue;
      }
      int64_t time = reader.head().time_ns;
      int64_t best_time = best->head().time_ns;
      if (newest_first ? time >= best_time : time < best_time) best = &reader;
    }
    if (best == nullptr) break;
    out.push_back(StoredLine{services[best->index()], best->head().ToLogLine()});
    best->Pop();
    if (out.size() < limit && !best->Advance()) TRY(best->status());
  }
  return Ok();
}

}  // namespace

LineFilter LineFilter::Of(const Query& query) {
  return LineFilter{.since_ns = query.since_ns, .until_ns = query.until_ns, .grep = query.grep};
}

bool LineFilter::Matches(std::string_view text) const {
  return grep.empty() || ::memmem(text.data(), text.size(), grep.data(), grep.size()) != nullptr;
}

std::vector<int64_t> NamesOf(const std::vector<SegmentFile>& segments, size_t count) {
  std::vector<int64_t> names;
  names.reserve(count);
  for (size_t i = 0; i < count; ++i) names.push_back(segments[i].name);
  return names;
}

// A segment's lines are no older than its name and no newer than the next segment's name
// (store.h: names are first lines' times, and a segment is started only by a later line).
size_t FirstSegmentFor(const std::vector<int64_t>& names, std::optional<int64_t> since) {
  if (!since) return 0;
  auto at = std::lower_bound(names.begin(), names.end(), *since);
  return at == names.begin() ? 0 : static_cast<size_t>(at - names.begin()) - 1;
}

size_t EndSegmentFor(const std::vector<int64_t>& names, std::optional<int64_t> until) {
  if (!until) return names.size();
  return static_cast<size_t>(std::lower_bound(names.begin(), names.end(), *until) - names.begin());
}

// ---- ForwardServiceReader -------------------------------------------------------------------

ForwardServiceReader::ForwardServiceReader(size_t index, std::string dir,
                                           std::vector<int64_t> segments, size_t first, size_t end,
                                           uint64_t first_offset, const LineFilter& filter,
                                           std::optional<std::string> container)
    : index_(index),
      dir_(std::move(dir)),
      segments_(std::move(segments)),
      next_(first),
      first_(first),
      end_(end),
      first_offset_(first_offset),
      filter_(filter),
      container_(std::move(container)),
      position_{segments_[first], first_offset} {}

bool ForwardServiceReader::Advance() {
  has_head_ = false;
  while (true) {
    if (!reader_) {
      if (next_ >= end_) return false;
      int64_t name = segments_[next_];
      uint64_t offset = next_ == first_ ? first_offset_ : 0;
      ++next_;
      Result<ForwardLineReader> opened = ForwardLineReader::Open(SegmentPath(dir_, name), offset);
      if (!opened) {
        if (IsNotFound(opened.error())) continue;  // pruned meanwhile
        status_ = Unexpected(std::move(opened).error());
        return false;
      }
      reader_.emplace(std::move(*opened));
      segment_ = name;
      position_ = {name, offset};
    }
    std::optional<std::string_view> line = reader_->Next();
    if (!line) {
      if (!reader_->status()) {
        status_ = reader_->status();
        return false;
      }
      position_ = {segment_, reader_->offset()};
      // The last segment read may still grow: reading goes on there. An earlier one is done
      // (whatever follows its last newline was cut short by a crash).
      if (next_ >= end_) return false;
      reader_.reset();
      continue;
    }
    position_ = {segment_, reader_->offset()};
    if (!Passes(*line, filter_, container_, head_)) continue;
    head_start_ = {segment_, reader_->line_start()};
    has_head_ = true;
    return true;
  }
}

// ---- BackwardServiceReader ------------------------------------------------------------------

BackwardServiceReader::BackwardServiceReader(size_t index, std::string dir,
                                             std::vector<int64_t> segments, size_t first,
                                             size_t end, std::optional<BackwardLineReader> newest,
                                             const LineFilter& filter,
                                             std::optional<std::string> container)
    : index_(index),
      dir_(std::move(dir)),
      segments_(std::move(segments)),
      first_(first),
      next_(end),
      filter_(filter),
      container_(std::move(container)) {
  if (newest) {
    reader_ = std::move(newest);
    --next_;
  }
}

bool BackwardServiceReader::Advance() {
  has_head_ = false;
  while (true) {
    if (!reader_) {
      if (next_ <= first_) return false;
      --next_;
      Result<BackwardLineReader> opened =
          BackwardLineReader::Open(SegmentPath(dir_, segments_[next_]));
      if (!opened) {
        if (IsNotFound(opened.error())) continue;
        status_ = Unexpected(std::move(opened).error());
        return false;
      }
      reader_.emplace(std::move(*opened));
    }
    std::optional<std::string_view> line = reader_->Prev();
    if (!line) {
      if (!reader_->status()) {
        status_ = reader_->status();
        return false;
      }
      reader_.reset();
      continue;
    }
    if (!Passes(*line, filter_, container_, head_)) continue;
    has_head_ = true;
    return true;
  }
}

// ---- Merging --------------------------------------------------------------------------------

Status MergeForward(std::vector<ForwardServiceReader>& readers,
                    const std::vector<std::string>& services, size_t limit,
                    std::vector<StoredLine>& out) {
  return Merge(readers, services, limit, /*newest_first=*/false, out);
}

Status MergeBackward(std::vector<BackwardServiceReader>& readers,
                     const std::vector<std::string>& services, size_t limit,
                     std::vector<StoredLine>& out) {
  return Merge(readers, services, limit, /*newest_first=*/true, out);
}

void SortByTime(std::vector<StoredLine>& lines) {
  auto earlier = [](const StoredLine& a, const StoredLine& b) {
    return a.line.time_ns < b.line.time_ns;
  };
  if (!std::is_sorted(lines.begin(), lines.end(), earlier)) {
    std::stable_sort(lines.begin(), lines.end(), earlier);
  }
}

Result<std::optional<std::string>> PreviousContainer(const std::string& dir,
                                                     const std::vector<int64_t>& segments) {
  struct Seen {
    std::string container;
    int64_t first_ns;
  };
  std::vector<Seen> seen;
  std::string last;
  for (int64_t name : segments) {
    Result<ForwardLineReader> reader = ForwardLineReader::Open(SegmentPath(dir, name), 0);
    if (!reader) {
      if (IsNotFound(reader.error())) continue;
      return Unexpected(std::move(reader).error());
    }
    while (std::optional<std::string_view> line = reader->Next()) {
      std::optional<LineView> view = ParseLine(*line);
      if (!view || view->container == last) continue;
      last = view->container;
      bool known =
          std::any_of(seen.begin(), seen.end(), [&](const Seen& s) { return s.container == last; });
      if (!known) seen.push_back({last, view->time_ns});
    }
    TRY(reader->status());
  }
  if (seen.size() < 2) return std::optional<std::string>();
  std::stable_sort(seen.begin(), seen.end(),
                   [](const Seen& a, const Seen& b) { return a.first_ns < b.first_ns; });
  return std::optional<std::string>(seen[seen.size() - 2].container);
}

}  // namespace yard::logs
