#include "logs/store.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <string_view>
#include <system_error>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/names.h"
#include "logs/cursor.h"
#include "logs/line_format.h"
#include "logs/segment.h"
#include "logs/service_reader.h"
#include "logs/service_writer.h"

namespace yard::logs {
namespace {

namespace stdfs = std::filesystem;

// Appending keeps the newest segment of this many services open; more are reopened as needed.
constexpr int kMaxOpenFiles = 64;

Status ValidateDeployment(int64_t deployment_id) {
  if (deployment_id <= 0) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("invalid deployment id {}", deployment_id));
  }
  return Ok();
}

// A service name becomes a directory name: only a manifest id (a DNS label) may.
Status ValidateService(std::string_view service) { return ValidateName(service, "service"); }

bool IsNotFound(const Error& error) { return error.code == ErrorCode::kNotFound; }

}  // namespace

struct Store::Impl {
  // Without a clock, the system's.
  Impl(StoreOptions o, const Clock* c)
      : options(std::move(o)),
        system_clock(c == nullptr ? std::make_unique<SystemClock>() : nullptr),
        clock(c == nullptr ? *system_clock : *c) {}

  std::string DeploymentDir(int64_t deployment_id) const {
    return fs::Join(options.dir, std::to_string(deployment_id));
  }
  std::string ServiceDir(int64_t deployment_id, const std::string& service) const {
    return fs::Join(DeploymentDir(deployment_id), service);
  }

  std::shared_ptr<ServiceWriter> WriterOf(int64_t deployment_id, const std::string& service) {
    std::lock_guard lock(writers_mu);
    auto& writer = writers[{deployment_id, service}];
    if (!writer) {
      writer = std::make_shared<ServiceWriter>(ServiceDir(deployment_id, service), options, clock,
                                               open_files);
    }
    return writer;
  }
  void CloseIdleFiles(const ServiceWriter* keep);

  Result<std::vector<std::string>> Services(int64_t deployment_id);
  Result<std::vector<std::string>> ServicesFor(int64_t deployment_id,
                                               const std::vector<std::string>& requested);

  uint64_t Version(int64_t deployment_id) {
    std::lock_guard lock(notify_mu);
    return versions[deployment_id];
  }
  void Notify(int64_t deployment_id) {
    {
      std::lock_guard lock(notify_mu);
      ++versions[deployment_id];
    }
    appended.notify_all();
  }
  // False when `deadline` passed before anything was appended since `version`.
  bool WaitForAppend(int64_t deployment_id, uint64_t version,
                     std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(notify_mu);
    return appended.wait_until(lock, deadline, [&] { return versions[deployment_id] != version; });
  }

  StoreOptions options;
  std::unique_ptr<Clock> system_clock;
  const Clock& clock;

  std::mutex writers_mu;  // guards `writers` (each writer has its own lock)
  std::map<std::pair<int64_t, std::string>, std::shared_ptr<ServiceWriter>> writers;
  std::atomic<int> open_files{0};
  std::atomic<uint64_t> use_counter{0};

  std::mutex notify_mu;  // guards `versions`
  std::condition_variable appended;
  std::map<int64_t, uint64_t> versions;  // by deployment: bumped by every append
};

// Keeps the number of open segments bounded: closes those used longest ago. Others' locks are
// only tried, so that two appenders never wait on each other.
void Store::Impl::CloseIdleFiles(const ServiceWriter* keep) {
  if (open_files <= kMaxOpenFiles) return;
  std::vector<std::pair<uint64_t, std::shared_ptr<ServiceWriter>>> candidates;
  {
    std::lock_guard lock(writers_mu);
    for (const auto& [key, writer] : writers) {
      if (writer.get() != keep) candidates.emplace_back(writer->last_used(), writer);
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [used, writer] : candidates) {
    if (open_files <= kMaxOpenFiles) break;
    std::unique_lock lock(writer->mu(), std::try_to_lock);
    if (lock.owns_lock()) writer->Close();
  }
}

Result<std::vector<std::string>> Store::Impl::Services(int64_t deployment_id) {
  std::vector<std::string> services;
  std::error_code ec;
  stdfs::directory_iterator it(DeploymentDir(deployment_id), ec);
  if (ec == std::errc::no_such_file_or_directory) return services;
  if (ec) return Unexpected(ErrorCode::kIo, fmt::format("list logs: {}", ec.message()));
  for (; it != stdfs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().native();
    if (!ValidateService(name)) continue;  // not the store's
    std::vector<SegmentFile> segments = TRY(ListSegments(it->path().native()));
    if (!segments.empty()) services.push_back(std::move(name));
  }
  if (ec) return Unexpected(ErrorCode::kIo, fmt::format("list logs: {}", ec.message()));
  std::sort(services.begin(), services.end());
  return services;
}

Result<std::vector<std::string>> Store::Impl::ServicesFor(
    int64_t deployment_id, const std::vector<std::string>& requested) {
  if (requested.empty()) return Services(deployment_id);
  for (const std::string& service : requested) TRY(ValidateService(service));
  std::vector<std::string> services = requested;
  std::sort(services.begin(), services.end());
  services.erase(std::unique(services.begin(), services.end()), services.end());
  return services;
}

// ---- Store ----------------------------------------------------------------------------------

Store::Store(StoreOptions options) : impl_(std::make_unique<Impl>(std::move(options), nullptr)) {}

Store::Store(StoreOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), &clock)) {}

Store::~Store() = default;

Status Store::Append(int64_t deployment_id, const std::string& service,
                     std::span<const LogLine> lines) {
  TRY(ValidateDeployment(deployment_id));
  TRY(ValidateService(service));
  if (lines.empty()) return Ok();
  std::string batch;
  size_t reserve = 0;
  for (const LogLine& line : lines) {
    TRY(ValidateLine(line));
    reserve += line.text.size() + 64;
  }
  batch.reserve(reserve);
  int64_t newest_ns = 0;
  for (const LogLine& line : lines) {
    FormatLine(line, batch);
    newest_ns = std::max(newest_ns, line.time_ns);
  }
  std::shared_ptr<ServiceWriter> writer;
  while (true) {
    writer = impl_->WriterOf(deployment_id, service);
    std::lock_guard lock(writer->mu());
    if (writer->retired()) continue;  // its deployment was removed meanwhile
    writer->set_last_used(++impl_->use_counter);
    TRY(writer->Append(batch, lines.front().time_ns, newest_ns));
    break;
  }
  impl_->CloseIdleFiles(writer.get());
  impl_->Notify(deployment_id);
  return Ok();
}

Result<ReadResult> Store::Read(int64_t deployment_id, const Query& query, size_t limit) {
  TRY(ValidateDeployment(deployment_id));
  std::vector<std::string> services = TRY(impl_->ServicesFor(deployment_id, query.services));
  LineFilter filter = LineFilter::Of(query);
  size_t wanted = limit;
  if (query.tail) wanted = std::min(wanted, static_cast<size_t>(std::max(0, *query.tail)));

  CursorPositions ends;
  std::vector<BackwardServiceReader> readers;
  for (size_t index = 0; index < services.size(); ++index) {
    std::string dir = impl_->ServiceDir(deployment_id, services[index]);
    std::vector<SegmentFile> segments = TRY(ListSegments(dir));
    // The logs end (for this read and the cursor) where the newest segment's lines end now.
    std::optional<BackwardLineReader> newest;
    size_t count = segments.size();
    while (count > 0 && !newest) {
      Result<BackwardLineReader> opened =
          BackwardLineReader::Open(SegmentPath(dir, segments[count - 1].name));
      if (opened) {
        newest.emplace(std::move(*opened));
      } else if (IsNotFound(opened.error())) {
        --count;
      } else {
        return Unexpected(std::move(opened).error());
      }
    }
    if (!newest) continue;
    ends[services[index]] = {segments[count - 1].name, newest->end()};

    std::vector<int64_t> names = NamesOf(segments, count);
    size_t first = FirstSegmentFor(names, filter.since_ns);
    size_t end = EndSegmentFor(names, filter.until_ns);
    if (first >= end || wanted == 0 || filter.NoTime()) continue;
    if (end < count) newest.reset();
    std::optional<std::string> container;
    if (query.previous) {
      container = TRY(PreviousContainer(dir, names));
      if (!container) continue;
    }
    readers.emplace_back(index, std::move(dir), std::move(names), first, end, std::move(newest),
                         filter, std::move(container));
  }

  ReadResult result;
  TRY(MergeBackward(readers, services, wanted, result.lines));
  std::reverse(result.lines.begin(), result.lines.end());
  SortByTime(result.lines);
  result.cursor = EncodeCursor(ends);
  return result;
}

Result<ReadResult> Store::ReadAfter(int64_t deployment_id, const Query& query, const Cursor& cursor,
                                    std::chrono::milliseconds wait, size_t limit) {
  TRY(ValidateDeployment(deployment_id));
  CursorPositions positions = TRY(DecodeCursor(cursor));
  LineFilter filter = LineFilter::Of(query);
  auto deadline = std::chrono::steady_clock::now() + wait;
  // For `previous`: by service, found once.
  std::map<std::string, std::optional<std::string>> previous;

  while (true) {
    uint64_t version = impl_->Version(deployment_id);
    std::vector<std::string> services = TRY(impl_->ServicesFor(deployment_id, query.services));
    std::vector<ForwardServiceReader> readers;
    for (size_t index = 0; index < services.size(); ++index) {
      const std::string& service = services[index];
      std::string dir = impl_->ServiceDir(deployment_id, service);
      std::vector<SegmentFile> segments = TRY(ListSegments(dir));
      if (segments.empty()) continue;
      std::vector<int64_t> names = NamesOf(segments, segments.size());
      // Reading goes on at the cursor's segment, or the next one left when it was pruned.
      size_t first = 0;
      uint64_t offset = 0;
      if (auto at = positions.find(service); at != positions.end()) {
        first = static_cast<size_t>(
            std::lower_bound(names.begin(), names.end(), at->second.segment) - names.begin());
        if (first < names.size() && names[first] == at->second.segment) offset = at->second.offset;
      }
      if (size_t since_first = FirstSegmentFor(names, filter.since_ns); since_first > first) {
        first = since_first;
        offset = 0;
      }
      size_t end = EndSegmentFor(names, filter.until_ns);
      if (first >= end || filter.NoTime()) continue;
      std::optional<std::string> container;
      if (query.previous) {
        auto found = previous.find(service);
        if (found == previous.end()) {
          found = previous.emplace(service, TRY(PreviousContainer(dir, names))).first;
        }
        if (!found->second) continue;
        container = found->second;
      }
      readers.emplace_back(index, std::move(dir), std::move(names), first, end, offset, filter,
                           std::move(container));
    }

    ReadResult result;
    TRY(MergeForward(readers, services, limit, result.lines));
    for (const ForwardServiceReader& reader : readers) {
      positions[services[reader.index()]] = reader.position();
    }
    SortByTime(result.lines);
    result.cursor = EncodeCursor(positions);
    if (!result.lines.empty() || limit == 0) return result;
    if (!impl_->WaitForAppend(deployment_id, version, deadline)) return result;
  }
}

Result<std::optional<ResumePoint>> Store::ResumeOf(int64_t deployment_id,
                                                   const std::string& service,
                                                   const std::string& container) {
  TRY(ValidateDeployment(deployment_id));
  TRY(ValidateService(service));
  std::string dir = impl_->ServiceDir(deployment_id, service);
  std::vector<SegmentFile> segments = TRY(ListSegments(dir));
  std::optional<ResumePoint> point;
  // From the newest line back: the container's newest line, then the lines of the container
  // at that same time before it. A container's own lines are in time order.
  for (size_t i = segments.size(); i-- > 0;) {
    Result<BackwardLineReader> reader =
        BackwardLineReader::Open(SegmentPath(dir, segments[i].name));
    if (!reader) {
      if (IsNotFound(reader.error())) continue;
      return Unexpected(std::move(reader).error());
    }
    bool seen_in_segment = false;
    while (std::optional<std::string_view> line = reader->Prev()) {
      std::optional<LineView> view = ParseLine(*line);
      if (!view || view->container != container) continue;
      seen_in_segment = true;
      if (!point) {
        point = ResumePoint{.time_ns = view->time_ns, .lines_at_time = 1};
      } else if (view->time_ns == point->time_ns) {
        ++point->lines_at_time;
      } else {
        return point;
      }
    }
    TRY(reader->status());
    // Lines at one time never span a whole segment of others' lines.
    if (point && !seen_in_segment) break;
  }
  return point;
}

Result<std::vector<std::string>> Store::Services(int64_t deployment_id) {
  TRY(ValidateDeployment(deployment_id));
  return impl_->Services(deployment_id);
}

Status Store::Remove(int64_t deployment_id) {
  TRY(ValidateDeployment(deployment_id));
  // Appenders of the deployment wait until its files are gone, then start afresh with new
  // writers.
  std::vector<std::shared_ptr<ServiceWriter>> removed;
  {
    std::lock_guard lock(impl_->writers_mu);
    auto it = impl_->writers.lower_bound({deployment_id, std::string()});
    for (; it != impl_->writers.end() && it->first.first == deployment_id; ++it) {
      removed.push_back(it->second);
    }
  }
  std::vector<std::unique_lock<std::mutex>> locks;
  for (const auto& writer : removed) {
    locks.emplace_back(writer->mu());
    writer->Retire();
  }
  std::string dir = impl_->DeploymentDir(deployment_id);
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  {
    std::lock_guard lock(impl_->writers_mu);
    std::erase_if(impl_->writers, [&](const auto& entry) { return entry.second->retired(); });
  }
  locks.clear();
  impl_->Notify(deployment_id);
  if (ec) return Unexpected(ErrorCode::kIo, fmt::format("remove {}: {}", dir, ec.message()));
  return Ok();
}

Status Store::Prune() {
  std::error_code ec;
  stdfs::directory_iterator deployments(impl_->options.dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return Ok();
  if (ec) return Unexpected(ErrorCode::kIo, fmt::format("list logs: {}", ec.message()));
  Status status;
  for (; deployments != stdfs::directory_iterator(); deployments.increment(ec)) {
    std::string name = deployments->path().filename().native();
    int64_t deployment_id = 0;
    auto [end, parse_error] =
        std::from_chars(name.data(), name.data() + name.size(), deployment_id);
    if (parse_error != std::errc() || end != name.data() + name.size() ||
        std::to_string(deployment_id) != name || !ValidateDeployment(deployment_id)) {
      continue;  // not the store's
    }
    Result<std::vector<std::string>> services = impl_->Services(deployment_id);
    if (!services) {
      status = Unexpected(std::move(services).error());
      continue;
    }
    for (const std::string& service : *services) {
      std::shared_ptr<ServiceWriter> writer = impl_->WriterOf(deployment_id, service);
      std::lock_guard lock(writer->mu());
      if (writer->retired()) continue;
      if (Status pruned = writer->Prune(); !pruned) status = pruned;
    }
  }
  if (ec) return Unexpected(ErrorCode::kIo, fmt::format("list logs: {}", ec.message()));
  return status;
}

}  // namespace yard::logs
