#include "runtime/podman_log_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/rfc3339.h"
#include "base/unique_fd.h"

namespace yard::runtime {
namespace {

constexpr size_t kReadBytes = 64 * 1024;
// conmon's records are at most 8 KiB of text plus the time and tags; anything much longer
// without a newline is not a record.
constexpr size_t kMaxRecordBytes = 64 * 1024;
// How often the file is looked at again while conmon runs and nothing new is in it.
constexpr int kIdlePollMs = 50;

void AppendFrame(int stream, std::string_view time, std::string_view text, bool newline,
                 std::string& out) {
  size_t size = time.size() + 1 + text.size() + (newline ? 1 : 0);
  // stream, three zero bytes, the payload's size big-endian
  out.push_back(static_cast<char>(stream));
  out.append(3, '\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out.append(time);
  out.push_back(' ');
  out.append(text);
  if (newline) out.push_back('\n');
}

// Whether `fd` is still the file at `path`: false once conmon has put a new file there, or
// the path is gone (the container was removed).
bool StillAtPath(int fd, const std::string& path) {
  struct stat opened = {};
  struct stat named = {};
  if (::fstat(fd, &opened) != 0 || ::stat(path.c_str(), &named) != 0) return false;
  return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

// Watches a process without holding its pid: a pidfd when the kernel has them, else kill(0).
class ProcessWatch {
 public:
  explicit ProcessWatch(int64_t pid) : pid_(static_cast<pid_t>(pid)) {
    if (pid <= 0) {
      ended_ = true;
      return;
    }
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd >= 0) {
      pidfd_.reset(fd);
    } else if (errno == ESRCH) {
      ended_ = true;
    }
  }

  bool ended() const { return ended_; }

  /// Waits up to `ms` for the process to end; returns ended().
  bool Wait(int ms) {
    if (ended_) return true;
    if (pidfd_) {
      pollfd fds{pidfd_.get(), POLLIN, 0};
      if (::poll(&fds, 1, ms) > 0) ended_ = true;
    } else {
      ::usleep(static_cast<useconds_t>(ms) * 1000);
      ended_ = ::kill(pid_, 0) != 0 && errno == ESRCH;
    }
    return ended_;
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool ended_ = false;
};

}  // namespace

Result<PodmanLogFile> ParsePodmanLogFile(std::string_view inspect_json) {
  auto json = nlohmann::json::parse(inspect_json, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("State") || !json["State"].is_object()) {
    return Unexpected(ErrorCode::kInternal, "the engine's container inspect answer has no State");
  }
  PodmanLogFile file;
  const auto& host = json.value("HostConfig", nlohmann::json::object());
  if (host.is_object()) {
    const auto& config = host.value("LogConfig", nlohmann::json::object());
    if (config.is_object()) {
      if (config.contains("Type") && config["Type"].is_string()) {
        file.driver = config["Type"].get<std::string>();
      }
      if (config.contains("Path") && config["Path"].is_string()) {
        file.path = config["Path"].get<std::string>();
      }
    }
  }
  const auto& state = json["State"];
  std::string status = state.contains("Status") && state["Status"].is_string()
                           ? state["Status"].get<std::string>()
                           : std::string();
  // Podman keeps no conmon pid for a container that is not running; should it keep a stale
  // one, it is not looked at (it may belong to another process by now).
  bool stopped = status == "exited" || status == "stopped" || status == "created" ||
                 status == "configured" || status == "removing" || status.empty();
  if (!stopped && state.contains("ConmonPid") && state["ConmonPid"].is_number_integer()) {
    file.conmon_pid = state["ConmonPid"].get<int64_t>();
  }
  return file;
}

std::optional<int64_t> ParseLogTime(std::string_view text) { return ParseRfc3339Nanos(text); }

void CriLogDecoder::Record(std::string_view line, std::string& out) {
  // <time> <stdout|stderr> <tags> <text>; tags are "F" or "P", optionally followed by
  // ":"-separated others.
  size_t time_end = line.find(' ');
  if (time_end == std::string_view::npos) {
    ++malformed_;
    return;
  }
  std::string_view time = line.substr(0, time_end);
  std::string_view rest = line.substr(time_end + 1);
  int stream;
  if (rest.starts_with("stdout ")) {
    stream = 1;
  } else if (rest.starts_with("stderr ")) {
    stream = 2;
  } else {
    ++malformed_;
    return;
  }
  rest.remove_prefix(7);
  size_t tags_end = rest.find(' ');
  std::string_view tags = rest.substr(0, tags_end);
  // A record of an empty line may end right after its tags.
  std::string_view text =
      tags_end == std::string_view::npos ? std::string_view() : rest.substr(tags_end + 1);
  if (tags.empty() || (tags[0] != 'F' && tags[0] != 'P')) {
    ++malformed_;
    return;
  }
  if (!reached_since_) {
    std::optional<int64_t> time_ns = ParseLogTime(time);
    if (!time_ns) {
      ++malformed_;
      return;
    }
    if (*time_ns < since_ns_) return;
    reached_since_ = true;
  }
  AppendFrame(stream, time, text, tags[0] == 'F', out);
}

void CriLogDecoder::Feed(std::string_view bytes, std::string& out) {
  while (!bytes.empty()) {
    const char* newline = static_cast<const char*>(std::memchr(bytes.data(), '\n', bytes.size()));
    if (newline == nullptr) {
      if (!discarding_) pending_.append(bytes);
      if (pending_.size() > kMaxRecordBytes) {
        ++malformed_;
        pending_.clear();
        discarding_ = true;
      }
      return;
    }
    size_t length = static_cast<size_t>(newline - bytes.data());
    if (discarding_) {
      discarding_ = false;
    } else if (pending_.empty()) {
      Record(bytes.substr(0, length), out);
    } else {
      pending_.append(bytes.substr(0, length));
      Record(pending_, out);
      pending_.clear();
    }
    bytes.remove_prefix(length + 1);
  }
}

Status FollowLogFile(const PodmanLogFile& file, int64_t since_ns, const LogChunkSink& sink,
                     const std::atomic<bool>* cancel) {
  std::string what = fmt::format("follow the log file {}", file.path);
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  ProcessWatch conmon(file.conmon_pid);
  UniqueFd fd;
  while (true) {
    fd.reset(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) break;
    if (errno != ENOENT) {
      return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(errno)));
    }
    // conmon makes the file as the container starts: a container that never ran has none.
    if (conmon.ended()) return Ok();
    if (cancelled()) return Unexpected(ErrorCode::kCancelled, what + ": cancelled");
    conmon.Wait(kIdlePollMs);
  }

  CriLogDecoder decoder(since_ns);
  std::string buffer(kReadBytes, '\0');
  std::string out;
  // Once conmon has ended, the file is read to its end once more, and that is all of it.
  bool last_pass = false;
  while (true) {
    if (cancelled()) return Unexpected(ErrorCode::kCancelled, what + ": cancelled");
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(errno)));
    }
    if (n > 0) {
      decoder.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), out);
      if (!out.empty()) {
        sink(out);
        out.clear();
      }
      continue;
    }
    // At the end of what is written so far.
    if (last_pass) return Ok();
    if (!StillAtPath(fd.get(), file.path)) {
      // Rotated (a new file at the path: this one is complete once read to its end again)
      // or removed with its container.
      UniqueFd next(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!next) {
        last_pass = true;
        continue;
      }
      while ((n = ::read(fd.get(), buffer.data(), buffer.size())) > 0) {
        decoder.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), out);
      }
      if (!out.empty()) {
        sink(out);
        out.clear();
      }
      fd = std::move(next);
      decoder.Reset();
      continue;
    }
    if (conmon.Wait(kIdlePollMs)) last_pass = true;
  }
}

}  // namespace yard::runtime
