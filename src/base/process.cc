#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace yard {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Once the direct child has exited we SIGKILL its process group (see RunProcess), so whoever
// still holds our pipes has left the group on purpose; we stop waiting for them after this.
constexpr milliseconds kDrainAfterExit{250};
// How often to look for a child's exit when pidfd_open is unavailable (old kernel, seccomp).
constexpr milliseconds kExitPollTick{10};
constexpr size_t kStderrTailBytes = 2048;
constexpr int kMaxFallbackFds = 65536;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

Unexpected ErrnoError(ErrorCode code, std::string_view what, int error = errno) {
  return Unexpected(code, std::string(what) + ": " + std::generic_category().message(error));
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Every descriptor is close-on-exec from birth: another thread may fork at any moment, and a
// leaked write end would keep our reads from ever seeing EOF.
Status MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(ErrorCode::kIo, "pipe");
  read_end = Fd(fds[0]);
  write_end = Fd(fds[1]);
  return Ok();
}

Result<Fd> OpenFile(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(ErrorCode::kIo, "cannot open '" + path + "'");
  return Fd(fd);
}

// A descriptor that polls readable once the child exits, or -1 (kernel before 5.3, seccomp).
// Raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and cannot be used from C++.
Fd OpenPidfd(pid_t pid) { return Fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))); }

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::string PathOf(const ProcessOptions& options) {
  if (auto it = options.env.find("PATH"); it != options.env.end()) return it->second;
  const char* path = options.clear_env ? nullptr : getenv("PATH");
  return path != nullptr ? path : kDefaultPath;
}

// PATH entries joined with `name`, or just `name` when it holds a slash (as execvp does).
std::vector<std::string> Candidates(const std::string& name, const std::string& path) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return {name};
  std::vector<std::string> result;
  size_t begin = 0;
  while (true) {
    size_t end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
    result.push_back((dir.empty() ? "." : dir) + "/" + name);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return result;
}

enum class ChildStage : int { kSetup = 1, kChdir, kExec };
struct ChildFailure {
  ChildStage stage;
  int error;
};

// Everything the child needs, built before fork: after fork in a multithreaded process only
// async-signal-safe calls are allowed, so the child must not allocate.
struct ChildPlan {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<std::string> candidates;
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* cwd = nullptr;
  int stdio[3] = {-1, -1, -1};  // -1 keeps the parent's descriptor
  int max_fd = 1024;            // for the close loop when close_range is unavailable
  sigset_t empty_mask;
  bool die_with_parent = false;
  pid_t parent = 0;
};

[[noreturn]] void Fail(int status_fd, ChildStage stage, int error) {
  ChildFailure failure{stage, error};
  [[maybe_unused]] ssize_t written = write(status_fd, &failure, sizeof(failure));
  _exit(127);
}

int MoveAboveStdio(int fd) { return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd; }

[[noreturn]] void RunChild(const ChildPlan& plan, int status_fd) {
  // Own process group, so that timeouts and Terminate reach everything the child starts.
  setpgid(0, 0);
  if (plan.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before prctl: then nobody would send the signal.
    if (getppid() != plan.parent) _exit(127);
  }
  // Ignored signals survive exec; reset all of them (like posix_spawn's SETSIGDEF) and only
  // then unblock, so no handler inherited from the parent can run in this half-copied process.
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  // The kernel's struct sigaction with SIG_DFL, no flags and an empty mask is all zeros on
  // every architecture, whatever the order of its fields.
  struct {
    unsigned long words[4];
  } kernel_default = {};
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &default_action, nullptr) != 0) {
      // glibc refuses the signals it reserves for itself (32 and 33), yet an ignored
      // disposition for them is inherited all the same: reset those with the raw call.
      syscall(SYS_rt_sigaction, sig, &kernel_default, nullptr, sizeof(unsigned long));
    }
  }
  sigprocmask(SIG_SETMASK, &plan.empty_mask, nullptr);

  // If the parent runs with 0-2 closed, our pipes may sit on those numbers: lift everything
  // above 2 first so that the dup2 calls below cannot clobber one another.
  int moved_status_fd = MoveAboveStdio(status_fd);
  if (moved_status_fd < 0) Fail(status_fd, ChildStage::kSetup, errno);
  status_fd = moved_status_fd;
  int stdio[3];
  for (int i = 0; i < 3; ++i) {
    stdio[i] = MoveAboveStdio(plan.stdio[i]);
    if (plan.stdio[i] >= 0 && stdio[i] < 0) Fail(status_fd, ChildStage::kSetup, errno);
  }
  for (int i = 0; i < 3; ++i) {
    if (stdio[i] >= 0 && dup2(stdio[i], i) < 0) Fail(status_fd, ChildStage::kSetup, errno);
  }
  // Descriptors other code in this process opened without O_CLOEXEC must not leak into the
  // child. The status pipe stays open; it is close-on-exec.
  auto close_between = [&plan](int first, int last) {
    if (first > last || close_range(static_cast<unsigned>(first), static_cast<unsigned>(last),
                                    0) == 0) {
      return;
    }
    for (int fd = first; fd <= std::min(last, plan.max_fd); ++fd) close(fd);
  };
  close_between(3, status_fd - 1);
  close_between(status_fd + 1, INT_MAX);

  if (plan.cwd != nullptr && chdir(plan.cwd) != 0) Fail(status_fd, ChildStage::kChdir, errno);

  // The PATH search of execvp, done by hand because execvp may allocate and reads the
  // parent's PATH rather than the child's.
  int error = ENOENT;
  bool saw_eacces = false;
  for (const std::string& candidate : plan.candidates) {
    execve(candidate.c_str(), plan.argv.data(), plan.envp.data());
    error = errno;
    if (error == EACCES) {
      saw_eacces = true;
    } else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV &&
               error != ETIMEDOUT) {
      break;
    }
  }
  if (saw_eacces && (error == ENOENT || error == ENOTDIR)) error = EACCES;
  Fail(status_fd, ChildStage::kExec, error);
}

// Forks and execs; returns once exec has succeeded, so a pid means the program runs.
Result<pid_t> SpawnChild(const ProcessOptions& options, int stdin_fd, int stdout_fd,
                         int stderr_fd) {
  if (options.argv.empty()) return Unexpected(ErrorCode::kInvalidArgument, "empty argv");
  ChildPlan plan;
  plan.argv_storage = options.argv;
  if (!options.clear_env) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string_view pair(*entry);
      if (!options.env.contains(std::string(pair.substr(0, pair.find('='))))) {
        plan.env_storage.emplace_back(pair);
      }
    }
  }
  for (const auto& [key, value] : options.env) plan.env_storage.push_back(key + "=" + value);
  for (std::string& arg : plan.argv_storage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& pair : plan.env_storage) plan.envp.push_back(pair.data());
  plan.envp.push_back(nullptr);
  plan.candidates = Candidates(options.argv[0], PathOf(options));
  if (!options.cwd.empty()) plan.cwd = options.cwd.c_str();
  plan.stdio[0] = stdin_fd;
  plan.stdio[1] = stdout_fd;
  plan.stdio[2] = stderr_fd;
  if (rlimit limit; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    plan.max_fd = static_cast<int>(std::min<rlim_t>(limit.rlim_cur, kMaxFallbackFds));
  }
  sigemptyset(&plan.empty_mask);
  plan.die_with_parent = options.die_with_parent;
  plan.parent = getpid();

  Fd status_read, status_write;
  TRY(MakePipe(status_read, status_write));
  // Signals stay blocked across fork so that none is handled in the child before RunChild
  // has reset the dispositions.
  sigset_t all_signals, old_mask;
  sigfillset(&all_signals);
  pthread_sigmask(SIG_SETMASK, &all_signals, &old_mask);
  pid_t pid = fork();
  if (pid == 0) RunChild(plan, status_write.get());
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) return ErrnoError(ErrorCode::kIo, "fork", fork_errno);
  // Also from the parent: whoever runs first, the group exists before we might signal it.
  setpgid(pid, pid);
  status_write.Reset();

  // The report is far below PIPE_BUF, so it arrives whole or not at all (EOF: exec worked).
  ChildFailure failure{};
  ssize_t got;
  do {
    got = read(status_read.get(), &failure, sizeof(failure));
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return pid;
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  const std::string& program = options.argv[0];
  switch (failure.stage) {
    case ChildStage::kExec:
      return ErrnoError(ErrorCode::kNotFound, "cannot execute '" + program + "'", failure.error);
    case ChildStage::kChdir:
      return ErrnoError(ErrorCode::kNotFound, "cannot change directory to '" + options.cwd + "'",
                        failure.error);
    default:
      return ErrnoError(ErrorCode::kIo, "cannot set up '" + program + "'", failure.error);
  }
}

// Reaps the child if it has exited; nullopt while it runs. The exit is first observed with
// WNOWAIT: while the child is an unreaped zombie its pid, and so its process group id, cannot
// be reused, which makes it safe to kill what is left of the group. Nothing a finished child
// started may outlive it (systemd does the same with a service's cgroup).
std::optional<ProcessResult> TryReap(pid_t pid, bool block) {
  siginfo_t info;
  do {
    info = {};
    if (waitid(P_PID, static_cast<id_t>(pid), &info,
               WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) == 0) {
      break;
    }
    if (errno != EINTR) return ProcessResult{};  // ECHILD: reaped elsewhere (SIGCHLD ignored)
  } while (true);
  if (info.si_pid == 0) return std::nullopt;
  kill(-pid, SIGKILL);
  ProcessResult result;
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (reaped == pid && WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

// Pipes have no MSG_NOSIGNAL, and the process-wide SIGPIPE disposition is not ours to change,
// so SIGPIPE is blocked on this thread around the write. A write's SIGPIPE is directed at the
// writing thread; if it raised one that was not already pending, we consume it before the old
// mask returns (libpq does the same).
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t sigpipe_only, old_mask, pending;
  sigemptyset(&sigpipe_only);
  sigaddset(&sigpipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigpipe_only, &old_mask);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n;
  do {
    n = write(fd, data, size);
  } while (n < 0 && errno == EINTR);
  int write_errno = errno;
  if (n < 0 && write_errno == EPIPE && !was_pending) {
    timespec no_wait = {};
    while (sigtimedwait(&sigpipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = write_errno;
  return n;
}

// Reads what is available; returns false at EOF or on an error. Bytes over `limit` are
// dropped so that a chatty child never blocks on a full pipe.
bool ReadAvailable(int fd, std::string& out, size_t limit, bool& truncated) {
  char buffer[65536];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  size_t keep = out.size() < limit ? std::min(limit - out.size(), static_cast<size_t>(n)) : 0;
  out.append(buffer, keep);
  if (keep < static_cast<size_t>(n)) truncated = true;
  return true;
}

std::string QuoteArg(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`;&|<>*?()") == std::string::npos) return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string_view Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out";
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  if (exit_code >= 0) return "exited with status " + std::to_string(exit_code);
  return "exit status unknown";
}

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  Fd out_read, out_write, err_read, err_write, in_read, in_write;
  TRY(MakePipe(out_read, out_write));
  TRY(MakePipe(err_read, err_write));
  if (options.stdin_data) {
    TRY(MakePipe(in_read, in_write));
  } else {
    in_read = TRY(OpenFile("/dev/null", O_RDONLY));
  }
  pid_t pid = TRY(SpawnChild(options, in_read.get(), out_write.get(), err_write.get()));
  in_read.Reset();
  out_write.Reset();
  err_write.Reset();
  // Only our ends are non-blocking (O_NONBLOCK belongs to the open file description, and the
  // child's ends are separate ones): a child that never reads stdin cannot stall the loop.
  for (const Fd* fd : {&out_read, &err_read, &in_write}) {
    if (fd->valid()) SetNonBlocking(fd->get());
  }
  Fd pidfd = OpenPidfd(pid);

  ProcessResult result;
  bool truncated = false;
  std::string_view input;
  if (options.stdin_data) input = *options.stdin_data;
  if (input.empty()) in_write.Reset();
  std::optional<Clock::time_point> term_at, kill_at, drain_until;
  if (options.timeout) term_at = Clock::now() + *options.timeout;

  // Policy: the loop ends when the direct child is reaped and both output pipes reached EOF.
  // TryReap() kills the child's process group first, so background jobs it left behind cannot
  // keep the pipes open; a process that left the group but kept the pipes (setsid) gets
  // kDrainAfterExit, after which we close our ends and return.
  while (!drain_until || ((out_read.valid() || err_read.valid()) && Clock::now() < *drain_until)) {
    pollfd fds[4];
    nfds_t count = 0;
    auto add = [&](const Fd& fd, short events) {
      if (fd.valid()) fds[count++] = pollfd{fd.get(), events, 0};
    };
    add(out_read, POLLIN);
    add(err_read, POLLIN);
    add(in_write, POLLOUT);
    if (!drain_until) add(pidfd, POLLIN);

    auto wake = Clock::time_point::max();
    for (const auto& at : {term_at, kill_at, drain_until}) {
      if (at) wake = std::min(wake, *at);
    }
    if (!pidfd.valid() && !drain_until) wake = std::min(wake, Clock::now() + kExitPollTick);
    int wait_ms = -1;
    if (wake != Clock::time_point::max()) {
      auto left = std::chrono::ceil<milliseconds>(wake - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
    }
    int ready = poll(fds, count, wait_ms);
    if (ready < 0 && errno != EINTR) {
      int poll_errno = errno;
      kill(-pid, SIGKILL);
      TryReap(pid, /*block=*/true);
      return ErrnoError(ErrorCode::kIo, "poll", poll_errno);
    }

    for (nfds_t i = 0; ready > 0 && i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_read.get()) {
        if (!ReadAvailable(fds[i].fd, result.stdout_data, options.max_output_bytes, truncated)) {
          out_read.Reset();
        }
      } else if (fds[i].fd == err_read.get()) {
        if (!ReadAvailable(fds[i].fd, result.stderr_data, options.max_output_bytes, truncated)) {
          err_read.Reset();
        }
      } else if (fds[i].fd == in_write.get()) {
        ssize_t n = WriteWithoutSigpipe(fds[i].fd, input.data(), input.size());
        if (n > 0) input.remove_prefix(static_cast<size_t>(n));
        // EPIPE means the child closed stdin without reading it all, which is its business.
        if ((n < 0 && errno != EAGAIN) || input.empty()) in_write.Reset();
      }
    }

    if (drain_until) continue;
    if (auto exit = TryReap(pid, /*block=*/false)) {
      result.exit_code = exit->exit_code;
      result.term_signal = exit->term_signal;
      in_write.Reset();
      term_at.reset();
      kill_at.reset();
      drain_until = Clock::now() + kDrainAfterExit;
      continue;
    }
    auto now = Clock::now();
    if (term_at && now >= *term_at) {
      kill(-pid, SIGTERM);
      result.timed_out = true;
      term_at.reset();
      kill_at = now + options.kill_grace;
    }
    if (kill_at && now >= *kill_at) {
      kill(-pid, SIGKILL);
      kill_at.reset();
    }
  }
  result.output_truncated = truncated;
  return result;
}

Result<ProcessResult> RunChecked(const ProcessOptions& options) {
  ProcessResult result = TRY(RunProcess(options));
  if (result.Succeeded()) return result;
  std::string message;
  for (const std::string& arg : options.argv) {
    message += (message.empty() ? "" : " ") + QuoteArg(arg);
  }
  message += ": " + result.Describe();
  std::string_view tail = result.stderr_data;
  if (tail.size() > kStderrTailBytes) {
    tail.remove_prefix(tail.size() - kStderrTailBytes);
    // Do not start in the middle of a UTF-8 sequence.
    while (!tail.empty() && (static_cast<unsigned char>(tail.front()) & 0xC0) == 0x80) {
      tail.remove_prefix(1);
    }
  }
  tail = Trim(tail);
  if (!tail.empty()) message += ": " + std::string(tail);
  return Unexpected(ErrorCode::kInternal, std::move(message));
}

Result<Subprocess> Subprocess::Start(const Spawn& spawn) {
  Fd in, out, err;
  if (spawn.stdin_fd < 0) in = TRY(OpenFile("/dev/null", O_RDONLY));
  if (spawn.stdout_fd < 0 && !spawn.stdout_path.empty()) {
    out = TRY(OpenFile(spawn.stdout_path, O_WRONLY | O_CREAT | O_APPEND));
  }
  if (spawn.stderr_fd < 0 && !spawn.stderr_path.empty()) {
    err = TRY(OpenFile(spawn.stderr_path, O_WRONLY | O_CREAT | O_APPEND));
  }
  auto either = [](int given, const Fd& opened) { return given >= 0 ? given : opened.get(); };
  pid_t pid = TRY(SpawnChild(spawn.options, either(spawn.stdin_fd, in),
                             either(spawn.stdout_fd, out), either(spawn.stderr_fd, err)));
  return Subprocess(pid);
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), finished_(std::exchange(other.finished_, {})) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !finished_) Terminate();
    pid_ = std::exchange(other.pid_, -1);
    finished_ = std::exchange(other.finished_, {});
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !finished_) Terminate();
}

bool Subprocess::Running() {
  if (pid_ <= 0 || finished_) return false;
  finished_ = TryReap(pid_, /*block=*/false);
  return !finished_;
}

Result<ProcessResult> Subprocess::Wait(milliseconds timeout) {
  if (pid_ <= 0 && !finished_) {
    return Unexpected(ErrorCode::kFailedPrecondition, "no process to wait for");
  }
  const auto deadline = Clock::now() + timeout;
  Fd pidfd;
  while (Running()) {
    auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Unexpected(ErrorCode::kTimeout, "process " + std::to_string(pid_) + " still runs");
    }
    if (!pidfd.valid()) pidfd = OpenPidfd(pid_);
    if (pidfd.valid()) {
      pollfd fd{pidfd.get(), POLLIN, 0};
      poll(&fd, 1, static_cast<int>(std::min<milliseconds::rep>(left.count(), INT_MAX)));
    } else {
      std::this_thread::sleep_for(std::min(left, kExitPollTick));
    }
  }
  return *finished_;
}

ProcessResult Subprocess::Terminate(milliseconds grace) {
  if (!Running()) return finished_.value_or(ProcessResult{});
  kill(-pid_, SIGTERM);
  if (auto result = Wait(grace)) return *result;
  kill(-pid_, SIGKILL);
  finished_ = TryReap(pid_, /*block=*/true);
  return *finished_;
}

std::optional<std::string> FindExecutable(const std::string& name) {
  const char* path = getenv("PATH");
  for (const std::string& candidate : Candidates(name, path != nullptr ? path : kDefaultPath)) {
    struct stat info;
    if (stat(candidate.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    if (access(candidate.c_str(), X_OK) != 0) continue;
    std::error_code error;
    std::filesystem::path absolute = std::filesystem::absolute(candidate, error);
    if (error) continue;
    return absolute.lexically_normal().string();
  }
  return std::nullopt;
}

}  // namespace yard
