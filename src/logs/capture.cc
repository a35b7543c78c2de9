#include "logs/capture.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <span>

#include "base/log.h"
#include "logs/line_splitter.h"

namespace yard::logs {
namespace {

constexpr size_t kShortIdBytes = 12;
constexpr std::chrono::milliseconds kMaxRetryDelay = std::chrono::seconds(30);

std::optional<int64_t> ParseNumber(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string LabelOf(const runtime::Labels& labels, std::string_view name) {
  auto it = labels.find(std::string(name));
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

struct Capture::Follower {
  std::string id;         // the engine's
  std::string container;  // its first 12 hex digits, as stored
  int64_t deployment = 0;
  std::string service;
  int64_t generation = 0;

  // Set by Stop (under mutex_): the follower ends.
  std::atomic<bool> stopping{false};
  // Ends a FollowLogs call: set with `stopping`, or by the follower after a failed append.
  std::atomic<bool> interrupt{false};
  std::thread thread;
  // Guarded by mutex_: the thread has ended or is about to, for good: every line of the
  // container is stored (it stopped, or is gone), or the store refused its lines.
  bool done = false;
  // Guarded by mutex_: done because the container stopped (it may be started again).
  bool stopped = false;
};

Capture::Capture(runtime::Runtime& runtime, Store& store, CaptureOptions options)
    : runtime_(runtime), store_(store), options_(std::move(options)) {
  options_.batch_lines = std::max<size_t>(options_.batch_lines, 1);
}

Capture::~Capture() { Stop(); }

void Capture::Start() {
  std::lock_guard lock(mutex_);
  if (stopping_ || scanner_.joinable()) return;
  scanner_ = std::thread([this] {
    int failures = 0;
    while (true) {
      Status scanned = Scan();
      if (!scanned) {
        // Logged when it starts failing, not every second while the engine is away.
        if (failures++ == 0) log::Warn("logs: cannot list containers: {}", scanned.error().message);
      } else {
        if (failures > 0) log::Info("logs: listing containers again");
        failures = 0;
      }
      std::unique_lock wait(mutex_);
      if (changed_.wait_for(wait, options_.scan_interval, [&] { return stopping_; })) return;
    }
  });
}

bool Capture::Captured(const runtime::ContainerInfo& container) const {
  std::string role = LabelOf(container.labels, runtime::kLabelRole);
  return std::find(options_.roles.begin(), options_.roles.end(), role) != options_.roles.end() &&
         ParseNumber(LabelOf(container.labels, runtime::kLabelDeployment)).has_value() &&
         !LabelOf(container.labels, runtime::kLabelComponent).empty() && !container.id.empty();
}

Status Capture::Scan() {
  if (options_.active && !options_.active()) return Ok();
  std::vector<runtime::ContainerInfo> containers = TRY(runtime_.ListContainers({}));
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Ok();
    std::map<std::string, const runtime::ContainerInfo*> listed;
    for (const runtime::ContainerInfo& container : containers) {
      if (Captured(container)) listed[container.id] = &container;
    }
    for (auto it = followers_.begin(); it != followers_.end();) {
      Follower& follower = *it->second;
      auto seen = listed.find(it->first);
      bool gone = seen == listed.end();
      // Done, and gone or started again (its new output needs a new follower).
      if (follower.done && (gone || (follower.stopped &&
                                     seen->second->state == runtime::ContainerState::kRunning))) {
        finished.push_back(std::move(follower.thread));
        it = followers_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [id, container] : listed) {
      // A container made but not started has no output yet.
      if (followers_.contains(id) || container->state == runtime::ContainerState::kCreated) {
        continue;
      }
      StartFollower(*container);
    }
  }
  for (std::thread& thread : finished) {
    if (thread.joinable()) thread.join();
  }
  return Ok();
}

std::shared_ptr<Capture::Follower> Capture::StartFollower(const runtime::ContainerInfo& container) {
  auto follower = std::make_shared<Follower>();
  follower->id = container.id;
  follower->container = container.id.substr(0, kShortIdBytes);
  follower->deployment = *ParseNumber(LabelOf(container.labels, runtime::kLabelDeployment));
  follower->service = LabelOf(container.labels, runtime::kLabelComponent);
  follower->generation =
      ParseNumber(LabelOf(container.labels, runtime::kLabelGeneration)).value_or(0);
  Follower* raw = follower.get();
  followers_[container.id] = follower;
  raw->thread = std::thread([this, raw] { Run(*raw); });
  return follower;
}

bool Capture::Sleep(Follower& follower, std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, delay, [&] { return follower.stopping.load(); });
}

void Capture::Run(Follower& follower) {
  std::string what = fmt::format("logs of container {} ({} of deployment {})", follower.container,
                                 follower.service, follower.deployment);
  std::optional<ResumePoint> resume;
  bool resume_known = false;
  int failures = 0;
  auto failed = [&](const Error& error) {
    if (failures++ == 0) log::Warn("{}: {}", what, error.message);
    auto delay = std::min<std::chrono::milliseconds>(
        options_.retry_delay * (1 << std::min(failures - 1, 5)), kMaxRetryDelay);
    return Sleep(follower, delay);
  };
  bool finished = false;
  while (!follower.stopping && !finished) {
    if (!resume_known) {
      auto stored = store_.ResumeOf(follower.deployment, follower.service, follower.container);
      if (!stored) {
        if (!failed(stored.error())) break;
        continue;
      }
      resume = *stored;
      resume_known = true;
    }
    Status passed = Pass(follower, resume);
    if (follower.stopping) break;
    if (!passed) {
      if (passed.error().code == ErrorCode::kNotFound) break;  // removed: nothing more comes
      if (passed.error().code == ErrorCode::kInvalidArgument) {
        // The store refuses these lines (a label it cannot take): retrying will not help.
        log::Error("{}: not captured: {}", what, passed.error().message);
        break;
      }
      // Where the store ends is asked again: a failed append may have stored part of a batch.
      resume_known = false;
      if (!failed(passed.error())) break;
      continue;
    }
    if (failures > 0) log::Info("{}: captured again", what);
    failures = 0;
    // The output ended: finished if the container did, else follow it again in a while.
    auto info = runtime_.InspectContainer(follower.id);
    if (!info) {
      if (!failed(info.error())) break;
      continue;
    }
    if (!info->has_value() || (*info)->state == runtime::ContainerState::kExited ||
        (*info)->state == runtime::ContainerState::kDead) {
      finished = true;
    } else if (!Sleep(follower, options_.retry_delay)) {
      break;
    }
  }
  std::lock_guard lock(mutex_);
  // A follower ended by Stop has not stored everything, unless its output had ended.
  follower.done = finished || !follower.stopping;
  follower.stopped = finished;
  changed_.notify_all();
}

Status Capture::Pass(Follower& follower, std::optional<ResumePoint>& resume) {
  // What this pass skips: lines before the store's end, and the first lines_at_time lines at
  // its time. Once one line is new, so is the rest.
  const std::optional<ResumePoint> from = resume;
  bool skipping = from.has_value();
  int64_t seen_at_time = 0;

  std::vector<LogLine> batch;
  size_t used = 0;
  Status appended = Ok();
  auto flush = [&] {
    if (used == 0 || !appended) return;
    appended = store_.Append(follower.deployment, follower.service,
                             std::span<const LogLine>(batch.data(), used));
    if (!appended) {
      // Stop reading; the next pass starts again after what was stored.
      follower.interrupt = true;
      return;
    }
    for (size_t i = 0; i < used; ++i) {
      if (resume && resume->time_ns == batch[i].time_ns) {
        ++resume->lines_at_time;
      } else {
        resume = ResumePoint{.time_ns = batch[i].time_ns, .lines_at_time = 1};
      }
    }
    lines_ += static_cast<int64_t>(used);
    used = 0;
  };
  LineSplitter splitter([&](const SplitLine& split) {
    if (!appended) return;
    if (skipping) {
      if (split.time_ns < from->time_ns) return;
      if (split.time_ns == from->time_ns && seen_at_time < from->lines_at_time) {
        ++seen_at_time;
        return;
      }
      skipping = false;
    }
    if (used == batch.size()) batch.emplace_back();
    LogLine& line = batch[used++];
    line.time_ns = split.time_ns;
    line.stream = split.stream;
    line.container = follower.container;
    line.generation = follower.generation;
    line.text.assign(split.text);
    if (used >= options_.batch_lines) flush();
  });

  // Cleared before `stopping` is looked at: a Stop in between leaves it set.
  follower.interrupt = false;
  if (follower.stopping) return Unexpected(ErrorCode::kCancelled, "stopping");
  Status followed = runtime_.FollowLogs(
      follower.id, from ? from->time_ns : 0,
      [&](std::string_view chunk) {
        if (!appended) return;
        splitter.Feed(chunk);
        flush();
      },
      &follower.interrupt);
  if (!appended) return Unexpected(appended.error());
  if (followed) {
    // The output ended: a last line without a newline is a line. (Not after a cancel or an
    // error: the next pass reads that line whole.)
    splitter.Finish();
    flush();
    if (!appended) return Unexpected(appended.error());
  }
  untimed_ += splitter.untimed();
  return followed;
}

Status Capture::Drain(const std::string& container_id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto find = [&]() -> std::shared_ptr<Follower> {
    std::shared_ptr<Follower> found;
    for (auto& [id, follower] : followers_) {
      if (id == container_id) return follower;
      if (container_id.size() >= kShortIdBytes && id.starts_with(container_id)) {
        if (found != nullptr) return nullptr;  // ambiguous
        found = follower;
      }
    }
    return found;
  };
  std::unique_lock lock(mutex_);
  if (stopping_) return Unexpected(ErrorCode::kCancelled, "the log capture is stopping");
  std::shared_ptr<Follower> follower = find();
  if (follower == nullptr) {
    lock.unlock();
    auto info = TRY_CTX(runtime_.InspectContainer(container_id),
                        fmt::format("drain the logs of container {}", container_id));
    if (!info || !Captured(*info) || info->state == runtime::ContainerState::kCreated) {
      return Ok();
    }
    lock.lock();
    if (stopping_) return Unexpected(ErrorCode::kCancelled, "the log capture is stopping");
    // A scan may have started one meanwhile.
    auto it = followers_.find(info->id);
    follower = it != followers_.end() ? it->second : StartFollower(*info);
  }
  if (!changed_.wait_until(lock, deadline, [&] { return follower->done || stopping_; })) {
    return Unexpected(ErrorCode::kTimeout,
                      fmt::format("the logs of container {} were not all stored within {} ms",
                                  container_id, timeout.count()));
  }
  if (!follower->done) return Unexpected(ErrorCode::kCancelled, "the log capture is stopping");
  return Ok();
}

void Capture::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, follower] : followers_) {
      follower->stopping = true;
      follower->interrupt = true;
      threads.push_back(std::move(follower->thread));
    }
    if (scanner_.joinable()) threads.push_back(std::move(scanner_));
    changed_.notify_all();
  }
  for (std::thread& thread : threads) {
    if (thread.joinable()) thread.join();
  }
}

CaptureStats Capture::stats() {
  CaptureStats stats{.lines = lines_.load(), .untimed = untimed_.load()};
  std::lock_guard lock(mutex_);
  for (const auto& [id, follower] : followers_) stats.followers += follower->done ? 0 : 1;
  return stats;
}

}  // namespace yard::logs
