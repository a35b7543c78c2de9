#include "ssh/engine_access.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/fs.h"
#include "base/log.h"

namespace yard::ssh {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kSettlePoll{50};

std::string Errno(int error) { return std::strerror(error); }

bool IsFullId(std::string_view id) {
  return id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Whether /proc/PID/cgroup puts the process in the container: engines name their cgroups after
// the container's full id (Podman with cgroupfs: /libpod_parent/libpod-ID; with systemd:
// libpod-ID.scope; Docker: /docker/ID or docker-ID.scope). Checked before every signal,
// because the engine's pid may belong to another process by the time it arrives.
bool InContainer(int64_t pid, const std::string& full_id) {
  auto cgroup = fs::ReadFile(fmt::format("/proc/{}/cgroup", pid), 64 * 1024);
  return cgroup && cgroup->find(full_id) != std::string::npos;
}

Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return Unexpected(ErrorCode::kIo, "fcntl: " + Errno(errno));
  }
  return Ok();
}

// ---- Dial ---------------------------------------------------------------------------------

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
};

Result<Address> ParseAddress(const std::string& ip, int port) {
  if (port < 1 || port > 65535) {
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("bad port {}", port));
  }
  Address address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    address.length = sizeof(sockaddr_in);
    address.family = AF_INET;
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    address.length = sizeof(sockaddr_in6);
    address.family = AF_INET6;
  } else {
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' is not an IP address", ip));
  }
  return address;
}

// The container's network namespace, opened. Engines name it by a file that lives as long as
// the container's network (NetworkSettings.SandboxKey: /run/netns/netns-… from netavark,
// checked to be the same namespace as /proc/{State.Pid}/ns/net on Podman 4.3.1); without one,
// the namespace of the container's first process is used, checked against a second inspect so
// that a pid reused in between is not mistaken for it.
Result<UniqueFd> OpenNamespace(runtime::Runtime& runtime, const runtime::ContainerInfo& info,
                               const std::string& what) {
  std::string path = info.netns_path;
  bool by_pid = path.empty();
  if (by_pid) {
    if (info.pid <= 0) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        what + ": the engine names no network namespace for the container");
    }
    path = fmt::format("/proc/{}/ns/net", info.pid);
  }
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{}: open {}: {}", what, path, Errno(errno)));
  }
  if (by_pid) {
    auto again = TRY_CTX(runtime.InspectContainer(info.id), what);
    if (!again || again->pid != info.pid || again->state != runtime::ContainerState::kRunning) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        what + ": the container stopped while its namespace was opened");
    }
  }
  // A container on the host's network would make "its" loopback the host's.
  struct stat theirs {};
  struct stat ours {};
  if (::fstat(ns.get(), &theirs) == 0 && ::stat("/proc/self/ns/net", &ours) == 0 &&
      theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      what + ": the container shares the host's network namespace");
  }
  return ns;
}

// A TCP socket made inside the namespace `ns`: a socket belongs to the namespace it was made
// in for the rest of its life, whichever thread uses it. setns(CLONE_NEWNET) changes only the
// calling thread, and is allowed in a multi-threaded process (unlike the mount and user
// namespaces), so a thread of our own enters the namespace, makes the socket and ends; no
// other code ever runs in that thread. Tried first in a multi-threaded Python process against
// rootful Podman 4.3.1: the socket reached a listener on the container's 127.0.0.1 and
// another container's address on its network, and the other threads' namespace was unchanged.
Result<UniqueFd> SocketIn(int ns, int family, const std::string& what) {
  Result<UniqueFd> made = Unexpected(ErrorCode::kInternal, what + ": no socket");
  std::thread helper([&] {
    if (::setns(ns, CLONE_NEWNET) != 0) {
      made = Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{}: cannot enter the container's network namespace: {} (the "
                                    "gateway needs root and a rootful engine)",
                                    what, Errno(errno)));
      return;
    }
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      made = Unexpected(ErrorCode::kIo, fmt::format("{}: socket: {}", what, Errno(errno)));
      return;
    }
    made = UniqueFd(fd);
  });
  helper.join();
  return made;
}

// Connects the nonblocking `socket` by `deadline`.
Status Connect(int socket, const Address& address, SteadyClock::time_point deadline,
               const std::string& what) {
  auto refused = [&](int error) {
    ErrorCode code = error == ETIMEDOUT ? ErrorCode::kTimeout : ErrorCode::kUnavailable;
    return Unexpected(code, fmt::format("{}: {}", what, Errno(error)));
  };
  if (::connect(socket, reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0) {
    return Ok();
  }
  if (errno != EINPROGRESS && errno != EINTR) return refused(errno);
  while (true) {
    auto left = std::chrono::ceil<milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      return Unexpected(ErrorCode::kTimeout, what + ": no answer in time");
    }
    pollfd wait{socket, POLLOUT, 0};
    int ready = ::poll(&wait, 1, static_cast<int>(std::min<int64_t>(left.count(), INT32_MAX)));
    if (ready < 0 && errno != EINTR) return refused(errno);
    if (ready <= 0) continue;
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return refused(error);
    return Ok();
  }
}

}  // namespace

// ---- Sessions -----------------------------------------------------------------------------

class EngineAccess::Session final : public SessionProcess {
 public:
  Session(EngineAccess& access, std::string container_id, runtime::ExecStream stream, bool tty)
      : access_(access),
        container_id_(std::move(container_id)),
        exec_id_(std::move(stream.exec_id)),
        socket_(std::move(stream.socket)),
        multiplexed_(stream.multiplexed),
        tty_(tty) {}

  ~Session() override {
    if (!ended_) Hangup();
  }

  // One socket carries both directions (Docker's hijacked exec).
  int stdin_fd() const override { return socket_.get(); }
  int stdout_fd() const override { return socket_.get(); }
  int stderr_fd() const override { return -1; }
  bool multiplexed() const override { return multiplexed_; }

  // The engine passes the half-close on as the end of the process's stdin and keeps sending
  // its output (Podman since 3.3, containers/podman#7360; checked on 4.3.1).
  void CloseStdin() override {
    if (stdin_closed_) return;
    stdin_closed_ = true;
    ::shutdown(socket_.get(), SHUT_WR);
  }

  void Resize(int rows, int cols) override {
    if (!tty_ || ended_) return;
    if (Status resized = access_.runtime_.ResizeExec(exec_id_, rows, cols); !resized) {
      log::Debug("ssh: {}", resized.error().message);
    }
  }

  // sshd signals the session's process itself. With a terminal its process group gets it
  // too (the process leads one: runc starts every exec in a new session), so that a shell's
  // pipeline stops with it.
  Status Signal(int signal) override {
    std::string what = fmt::format("signal {} to exec {}", signal, exec_id_);
    if (ended_) return Unexpected(ErrorCode::kFailedPrecondition, what + ": it has ended");
    auto info = TRY_CTX(access_.runtime_.InspectExec(exec_id_), what);
    if (!info.running || info.pid <= 0) {
      return Unexpected(ErrorCode::kFailedPrecondition, what + ": it does not run");
    }
    return access_.SignalProcess(container_id_, info.pid, signal, tty_, what);
  }

  Result<int> Wait() override {
    const auto give_up = SteadyClock::now() + access_.options_.settle_limit;
    while (true) {
      auto info = access_.runtime_.InspectExec(exec_id_);
      if (!info) return Unexpected(info.error());
      // Not running without an exit code: the engine has not recorded the end yet.
      if (!info->running && info->exit_code >= 0) {
        ended_ = true;
        return info->exit_code;
      }
      if (SteadyClock::now() >= give_up) {
        // The stream ended under a running process: the engine lost it (a restart) or a
        // detach sequence got through. Nobody can reach the process any more.
        Hangup();
        return Unexpected(ErrorCode::kUnavailable,
                          fmt::format("the output of exec {} ended but it still runs; it is "
                                      "being stopped",
                                      exec_id_));
      }
      std::this_thread::sleep_for(kSettlePoll);
    }
  }

  void Hangup() override {
    if (hung_up_ || ended_) return;
    hung_up_ = true;
    access_.Hangup(container_id_, exec_id_);
  }

 private:
  EngineAccess& access_;
  const std::string container_id_;
  const std::string exec_id_;
  UniqueFd socket_;
  const bool multiplexed_;
  const bool tty_;
  bool stdin_closed_ = false;
  bool ended_ = false;  // Wait saw the process stop
  bool hung_up_ = false;
};

EngineAccess::EngineAccess(runtime::Runtime& runtime, EngineAccessOptions options)
    : runtime_(runtime),
      options_(options),
      reaper_([this](std::stop_token stop) { Reap(std::move(stop)); }) {}

EngineAccess::~EngineAccess() {
  reaper_.request_stop();
  wake_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

Result<std::unique_ptr<SessionProcess>> EngineAccess::Exec(const ExecRequest& request) {
  runtime::ExecStreamSpec spec{.cmd = request.cmd,
                               .env = request.env,
                               .tty = request.tty,
                               .rows = request.rows,
                               .cols = request.cols};
  auto stream = TRY(runtime_.StartExecStream(request.container_id, spec));
  // From here on the process runs: the session ends it if it is dropped on an error.
  int fd = stream.socket.get();
  auto session =
      std::make_unique<Session>(*this, request.container_id, std::move(stream), request.tty);
  TRY_CTX(SetNonBlocking(fd), "exec stream");
  return std::unique_ptr<SessionProcess>(std::move(session));
}

Result<UniqueFd> EngineAccess::Dial(const std::string& container_id, const std::string& ip,
                                    int port, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  std::string what = fmt::format("connect to {}:{} in container {}", ip, port, container_id);
  Address address = TRY_CTX(ParseAddress(ip, port), what);
  auto info = TRY_CTX(runtime_.InspectContainer(container_id), what);
  if (!info) return Unexpected(ErrorCode::kNotFound, what + ": no such container");
  if (info->state != runtime::ContainerState::kRunning) {
    return Unexpected(ErrorCode::kFailedPrecondition, what + ": the container is not running");
  }
  UniqueFd ns = TRY(OpenNamespace(runtime_, *info, what));
  UniqueFd socket = TRY(SocketIn(ns.get(), address.family, what));
  TRY(Connect(socket.get(), address, deadline, what));
  return socket;
}

// ---- Signals and the reaper ---------------------------------------------------------------

Result<std::string> EngineAccess::FullId(const std::string& id) {
  if (IsFullId(id)) return id;
  auto info = TRY(runtime_.InspectContainer(id));
  if (!info) return Unexpected(ErrorCode::kNotFound, fmt::format("no container {}", id));
  return info->id;
}

Status EngineAccess::SignalProcess(const std::string& container_id, int64_t pid, int signal,
                                   bool group, const std::string& what) {
  std::string full_id = TRY_CTX(FullId(container_id), what);
  auto process = static_cast<pid_t>(pid);
  if (!InContainer(process, full_id)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{}: process {} is not in container {} (it ended, or the "
                                  "engine runs in another pid namespace)",
                                  what, pid, container_id));
  }
  bool leads_group = ::getpgid(process) == process;
  if (::kill(group && leads_group ? -process : process, signal) != 0) {
    if (errno == ESRCH) return Unexpected(ErrorCode::kFailedPrecondition, what + ": it ended");
    return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", what, Errno(errno)));
  }
  return Ok();
}

void EngineAccess::Hangup(std::string container_id, std::string exec_id) {
  {
    std::lock_guard lock(mutex_);
    fresh_.push_back({.container_id = std::move(container_id), .exec_id = std::move(exec_id)});
  }
  wake_.notify_all();
}

// SIGHUP as sshd's closing of the terminal would send it, to the exec's process group (its
// children included; detached ones such as `nohup x &` were meant to stay), then SIGKILL for
// a process that is still there. Closing the attach socket alone ends nothing: the engine
// keeps the exec running without it (Podman 4.3.1, `sleep 300`).
bool EngineAccess::Step(Orphan& orphan) {
  constexpr milliseconds kRetry{100};
  std::string what =
      fmt::format("end exec {} in container {}", orphan.exec_id, orphan.container_id);
  const auto now = SteadyClock::now();
  auto info = runtime_.InspectExec(orphan.exec_id);
  if (!info) {
    if (info.error().code == ErrorCode::kNotFound) return false;
    if (now >= orphan.give_up) {
      log::Warn("ssh: cannot {}: {}", what, info.error().message);
      return false;
    }
    orphan.due = now + options_.kill_after;  // the engine may come back
    return true;
  }
  if (orphan.pid == 0) {
    if (!info->running) {
      // Docker reports a started exec as not running until its process does; Podman answers
      // the start once it runs.
      if (info->exit_code >= 0 || now >= orphan.give_up) return false;
      orphan.due = now + kRetry;
      return true;
    }
    if (Status sent = SignalProcess(orphan.container_id, info->pid, SIGHUP, true, what); !sent) {
      log::Debug("ssh: {}", sent.error().message);
      return false;
    }
    log::Debug("ssh: sent SIGHUP to exec {} (pid {})", orphan.exec_id, info->pid);
    orphan.pid = info->pid;
    orphan.due = now + options_.kill_after;
    return true;
  }
  // Only the process that was hung up: a pid the engine reports now may be another's.
  if (info->running && info->pid == orphan.pid) {
    if (Status sent = SignalProcess(orphan.container_id, orphan.pid, SIGKILL, true, what); sent) {
      log::Debug("ssh: sent SIGKILL to exec {} (pid {})", orphan.exec_id, orphan.pid);
    }
  }
  return false;
}

void EngineAccess::Reap(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (true) {
    auto next = SteadyClock::now() + std::chrono::hours(1);
    for (const Orphan& orphan : orphans_) next = std::min(next, orphan.due);
    wake_.wait_until(lock, stop, next, [&] { return !fresh_.empty(); });
    const auto now = SteadyClock::now();
    for (Orphan& orphan : fresh_) {
      orphan.due = now;
      orphan.give_up = now + 6 * options_.kill_after;
      orphans_.push_back(std::move(orphan));
    }
    fresh_.clear();
    lock.unlock();
    if (stop.stop_requested()) {
      // Stopping: the SIGHUPs still due go out now; the SIGKILLs that would follow do not.
      for (Orphan& orphan : orphans_) {
        if (orphan.pid == 0) {
          orphan.give_up = now;
          Step(orphan);
        }
      }
      return;
    }
    std::erase_if(orphans_, [&](Orphan& orphan) { return orphan.due <= now && !Step(orphan); });
    lock.lock();
  }
}

}  // namespace yard::ssh
