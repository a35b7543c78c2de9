#include "logs/service_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/log.h"
#include "logs/line_format.h"
#include "logs/segment.h"

namespace yard::logs {
namespace {

// A segment this many times its size is closed even while its lines' times stand still.
constexpr uint64_t kHardLimitFactor = 4;

constexpr int64_t kNsPerSecond = 1'000'000'000;

Unexpected ErrnoError(std::string_view what, const std::string& path, int err = errno) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Unexpected(code, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

}  // namespace

ServiceWriter::ServiceWriter(std::string dir, const StoreOptions& options, const Clock& clock,
                             std::atomic<int>& open_files)
    : dir_(std::move(dir)), options_(options), clock_(clock), open_files_(open_files) {}

ServiceWriter::~ServiceWriter() { Close(); }

void ServiceWriter::Close() {
  if (!file_) return;
  file_.reset();
  --open_files_;
}

void ServiceWriter::Retire() {
  Close();
  loaded_ = false;
  segments_.clear();
  retired_ = true;
}

Status ServiceWriter::Load() {
  Close();
  segments_.clear();
  for (const SegmentFile& file : TRY(ListSegments(dir_))) {
    segments_.push_back({.name = file.name, .bytes = file.bytes});
  }
  // A crash may have left a partial last line: it is cut off so that the next line starts
  // on a line of its own. An empty newest segment goes (its name is no line's time).
  while (!segments_.empty()) {
    Segment& newest = segments_.back();
    std::string path = SegmentPath(dir_, newest.name);
    Result<BackwardLineReader> reader = BackwardLineReader::Open(path);
    if (!reader && reader.error().code == ErrorCode::kNotFound) {
      segments_.pop_back();
      continue;
    }
    if (!reader) return Unexpected(std::move(reader).error());
    uint64_t end = reader->end();
    if (end == 0) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path);
      segments_.pop_back();
      continue;
    }
    if (end < newest.bytes) {
      log::Warn("log segment {}: cutting off a partial last line ({} bytes)", path,
                newest.bytes - end);
      if (::truncate(path.c_str(), static_cast<off_t>(end)) != 0) {
        return ErrnoError("truncate", path);
      }
      newest.bytes = end;
    }
    newest.newest_ns = NewestTimeOf(newest, newest.name);
    break;
  }
  loaded_ = true;
  return Ok();
}

// The newest line's time in a segment: its last parseable line's, else `fallback`.
int64_t ServiceWriter::NewestTimeOf(const Segment& segment, int64_t fallback) const {
  Result<BackwardLineReader> reader = BackwardLineReader::Open(SegmentPath(dir_, segment.name));
  if (!reader) return fallback;
  // Only the last lines are looked at: a few corrupt ones are no reason to read it all.
  for (int tries = 0; tries < 100; ++tries) {
    std::optional<std::string_view> line = reader->Prev();
    if (!line) break;
    if (std::optional<int64_t> time = ParseLineTime(*line)) return *time;
  }
  return fallback;
}

Status ServiceWriter::OpenNewest(bool create, int64_t name, int64_t newest_ns) {
  std::string path = SegmentPath(dir_, name);
  int fd = -1;
  if (create) {
    TRY(fs::CreateDirectories(dir_, 0700));
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  } else {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) {
    int err = errno;
    loaded_ = false;  // the directory is not as thought: look at it again next time
    return ErrnoError(create ? "create" : "open", path, err);
  }
  file_.reset(fd);
  ++open_files_;
  if (create) segments_.push_back({.name = name, .bytes = 0, .newest_ns = newest_ns});
  return Ok();
}

Status ServiceWriter::Append(std::string_view batch, int64_t first_ns, int64_t newest_ns) {
  if (!loaded_) TRY(Load());
  // A full segment is closed once a batch starts after its name, so that every segment is
  // named by its first line's time and names increase (readers find times by name). Only a
  // segment many times too big, its times standing still or going back, is closed anyway;
  // the next is then named one past it.
  bool rotate = segments_.empty();
  int64_t name = first_ns;
  if (!rotate) {
    const Segment& newest = segments_.back();
    uint64_t hard_limit = std::max<uint64_t>(options_.segment_bytes, 1) * kHardLimitFactor;
    rotate = newest.bytes >= options_.segment_bytes &&
             (first_ns > newest.name || newest.bytes >= hard_limit);
    name = std::max(first_ns, newest.name + 1);
  }
  if (rotate) {
    Close();
    TRY(OpenNewest(/*create=*/true, name, newest_ns));
  } else if (!file_) {
    TRY(OpenNewest(/*create=*/false, segments_.back().name, newest_ns));
  }

  Segment& segment = segments_.back();
  std::string_view rest = batch;
  while (!rest.empty()) {
    ssize_t written = ::write(file_.get(), rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      int err = written < 0 ? errno : ENOSPC;
      // No partial line may stay behind: the file goes back to where the batch began.
      if (::ftruncate(file_.get(), static_cast<off_t>(segment.bytes)) != 0) {
        loaded_ = false;  // loading cuts it
      }
      Close();
      return ErrnoError("write", SegmentPath(dir_, segment.name), err);
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
  segment.bytes += batch.size();
  segment.newest_ns = std::max(segment.newest_ns.value_or(newest_ns), newest_ns);

  if (Status pruned = Prune(); !pruned) {
    // The lines are stored; a segment that could not be removed is tried again later.
    log::Warn("pruning logs in {}: {}", dir_, pruned.error().message);
  }
  return Ok();
}

Status ServiceWriter::Prune() {
  if (!loaded_) TRY(Load());
  int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch()).count();
  int64_t cutoff_ns = options_.retention_seconds >= now_ns / kNsPerSecond
                          ? std::numeric_limits<int64_t>::min()
                          : now_ns - options_.retention_seconds * kNsPerSecond;
  uint64_t total = 0;
  for (const Segment& segment : segments_) total += segment.bytes;

  // Oldest first: beyond the size, all but the newest; beyond the age, any.
  while (!segments_.empty()) {
    Segment& oldest = segments_.front();
    bool newest = segments_.size() == 1;
    bool remove = !newest && total > options_.service_bytes;
    if (!remove) {
      // No line of a segment is newer than the next segment's name.
      if (!oldest.newest_ns) {
        oldest.newest_ns = NewestTimeOf(oldest, newest ? oldest.name : segments_[1].name);
      }
      remove = *oldest.newest_ns < cutoff_ns;
    }
    if (!remove) break;
    if (newest) Close();
    std::string path = SegmentPath(dir_, oldest.name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path);
    total -= oldest.bytes;
    segments_.erase(segments_.begin());
  }
  if (segments_.empty()) ::rmdir(dir_.c_str());  // fails harmlessly when not empty
  return Ok();
}

}  // namespace yard::logs
