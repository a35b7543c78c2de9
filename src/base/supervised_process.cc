#include "base/supervised_process.h"

#include <fmt/core.h>
#include <signal.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "base/fs.h"
#include "base/log.h"

namespace yard {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kPoll{100};
constexpr milliseconds kSuperviseTick{500};
constexpr milliseconds kStopGrace{10000};
constexpr size_t kLogTailBytes = 1500;

std::string WithLogTail(std::string message, const std::string& log_path) {
  auto text = fs::ReadFile(log_path);
  if (!text) return message;
  std::string_view tail = *text;
  if (tail.size() > kLogTailBytes) tail.remove_prefix(tail.size() - kLogTailBytes);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.remove_suffix(1);
  if (!tail.empty()) message += fmt::format(":\n{}", tail);
  return message;
}

// Not kill(pid, 0): a zombie answers it, and a leftover that is our own unreaped child is gone.
bool Alive(pid_t pid) {
  auto stat = fs::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return false;
  char state = (*stat)[paren + 2];
  return state != 'Z' && state != 'X';
}

void WaitGone(pid_t pid, milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (Alive(pid) && SteadyClock::now() < deadline) std::this_thread::sleep_for(kPoll);
}

// /proc/PID/cmdline holds the arguments, each ended by a NUL (unless the process rewrote them).
bool HasArgument(std::string cmdline, const std::string& argument) {
  if (cmdline.empty() || cmdline.back() != '\0') cmdline += '\0';
  return ('\0' + cmdline).find('\0' + argument + '\0') != std::string::npos;
}

}  // namespace

SupervisedProcess::SupervisedProcess(SupervisedProcessOptions options)
    : options_(std::move(options)) {}

SupervisedProcess::~SupervisedProcess() { Stop(); }

bool SupervisedProcess::started() {
  std::lock_guard lock(mutex_);
  return started_;
}

pid_t SupervisedProcess::pid() {
  std::lock_guard lock(mutex_);
  return process_ && process_->Running() ? process_->pid() : -1;
}

int SupervisedProcess::restarts() {
  std::lock_guard lock(mutex_);
  return restarts_;
}

Status SupervisedProcess::Start() {
  {
    std::lock_guard control(control_mutex_);
    if (supervisor_.joinable()) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{} is already started", options_.name));
    }
    if (!options_.socket_path.empty()) {
      TRY_CTX(fs::RemoveFile(options_.socket_path), "remove the stale socket");
    }
    {
      std::lock_guard lock(mutex_);
      start_status_.reset();
      restarts_ = 0;
    }
    supervisor_ = std::jthread([this](std::stop_token stop) { Run(std::move(stop)); });
  }
  Status status;
  {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return start_status_.has_value(); });
    status = *start_status_;
  }
  if (!status) Stop();  // the supervision thread has ended the child; this joins it
  return status;
}

void SupervisedProcess::Stop() {
  std::lock_guard control(control_mutex_);
  if (supervisor_.joinable()) {
    supervisor_.request_stop();
    supervisor_.join();
  }
}

// Every spawn happens on this thread: with die_with_parent the child lives exactly as long as
// the thread that started it (PR_SET_PDEATHSIG), so that must be the one supervising it.
void SupervisedProcess::Run(std::stop_token stop) {
  Status ready;
  {
    std::lock_guard lock(mutex_);
    ready = Spawn();
  }
  if (ready) ready = WaitUntilAnswering(stop);
  {
    std::lock_guard lock(mutex_);
    start_status_ = ready;
    started_ = ready.has_value();
  }
  wake_.notify_all();
  if (ready) Supervise(stop);

  std::lock_guard lock(mutex_);
  started_ = false;
  if (process_) {
    ProcessResult result = process_->Terminate(kStopGrace);
    log::Debug("{}: {} stopped ({})", options_.log_prefix, options_.name, result.Describe());
    process_.reset();
  }
  (void)fs::RemoveFile(options_.pid_path);
}

Status SupervisedProcess::Spawn() {
  Subprocess::Spawn spawn;
  spawn.options = options_.process;
  spawn.stdout_path = options_.log_path;
  spawn.stderr_path = options_.log_path;
  auto process = Subprocess::Start(spawn);
  if (!process) return Unexpected(process.error().WithContext("start " + options_.name));
  process_.emplace(std::move(*process));
  started_at_ = SteadyClock::now();
  // A server killed without stopping the child leaves it running; the next one ends it.
  if (Status written =
          fs::AtomicWriteFile(options_.pid_path, std::to_string(process_->pid()) + "\n");
      !written) {
    log::Warn("{}: cannot record the pid of {}: {}", options_.log_prefix, options_.name,
              written.error().message);
  }
  log::Debug("{}: {} started, pid {}", options_.log_prefix, options_.name, process_->pid());
  return Ok();
}

Status SupervisedProcess::WaitUntilAnswering(std::stop_token stop) {
  const auto deadline = SteadyClock::now() + options_.start_timeout;
  while (true) {
    if (stop.stop_requested()) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("stopped before {} answered", options_.name));
    }
    if (options_.answers()) return Ok();
    {
      std::lock_guard lock(mutex_);
      if (!process_ || !process_->Running()) {
        std::string how = process_ ? process_->Wait(milliseconds(0))->Describe() : "not running";
        return Unexpected(ErrorCode::kUnavailable,
                          WithLogTail(options_.name + " " + how, options_.log_path));
      }
    }
    if (SteadyClock::now() >= deadline) {
      return Unexpected(
          ErrorCode::kTimeout,
          WithLogTail(fmt::format("{} did not answer on {} within {} ms", options_.name,
                                  options_.socket_path, options_.start_timeout.count()),
                      options_.log_path));
    }
    std::this_thread::sleep_for(kPoll);
  }
}

void SupervisedProcess::Supervise(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  milliseconds backoff = options_.min_backoff;
  auto never = [] { return false; };
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, kSuperviseTick, never);
    if (stop.stop_requested()) break;
    if (process_ && process_->Running()) continue;

    std::string how = "failed to start";
    if (process_) {
      auto result = process_->Wait(milliseconds(0));
      how = result ? result->Describe() : "ended";
      if (SteadyClock::now() - started_at_ >= options_.healthy_after) {
        backoff = options_.min_backoff;
      }
    }
    log::Warn("{}: {} {}; restarting in {} ms (log: {})", options_.log_prefix, options_.name, how,
              backoff.count(), options_.log_path);
    wake_.wait_for(lock, stop, backoff, never);
    if (stop.stop_requested()) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
    process_.reset();
    if (!options_.socket_path.empty()) (void)fs::RemoveFile(options_.socket_path);
    if (Status spawned = Spawn(); !spawned) {
      log::Error("{}: {}", options_.log_prefix, spawned.error().message);
      continue;
    }
    ++restarts_;
  }
}

Status CheckUnixSocketPath(const std::string& path, std::string_view what) {
  constexpr size_t kRoom = sizeof(sockaddr_un{}.sun_path);
  if (path.size() < kRoom) return Ok();
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("{} path {} is longer than a unix socket allows ({} bytes); use "
                                "a shorter data dir",
                                what, path, kRoom - 1));
}

bool EndRecordedProcess(const std::string& pid_path, const std::vector<std::string>& arguments) {
  auto text = fs::ReadFile(pid_path);
  if (!text) return false;
  pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
  if (pid <= 1) return false;
  auto cmdline = fs::ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline) return false;
  for (const std::string& argument : arguments) {
    if (!HasArgument(*cmdline, argument)) return false;
  }
  if (!Alive(pid)) return false;
  log::Info("ending pid {} ({}), recorded in {}: a previous run left it running", pid,
            cmdline->c_str(), pid_path);
  // Its own process group, as Subprocess starts it, with whatever it started.
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);
  WaitGone(pid, kStopGrace);
  if (Alive(pid)) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    WaitGone(pid, kStopGrace);
  }
  (void)fs::RemoveFile(pid_path);
  return true;
}

}  // namespace yard
