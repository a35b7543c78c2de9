#include "runtime/build_cgroup.h"

#include <fmt/core.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace yard::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPoll{100};
// The random part of a build cgroup's name.
constexpr size_t kRandomHexDigits = 16;
// StopLeftoverBuilds: as for a build that was just abandoned (docker_runtime_streams.cc).
constexpr std::chrono::milliseconds kLeftoverQuiet{2000};
constexpr std::chrono::milliseconds kLeftoverLimit{30000};

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
        text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                               (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  while (at < line.size()) {
    size_t end = line.find(' ', at);
    if (end == std::string_view::npos) end = line.size();
    if (end > at) fields.push_back(line.substr(at, end - at));
    at = end + 1;
  }
  return fields;
}

// Whether /proc/PID/cgroup puts the process in cgroup `name` (or below it) in any hierarchy.
bool InCgroup(pid_t pid, const std::string& name) {
  auto text = fs::ReadFile(fmt::format("/proc/{}/cgroup", pid), 64 * 1024);
  if (!text) return false;
  const std::string needle = "/" + name;
  for (size_t at = text->find(needle); at != std::string::npos; at = text->find(needle, at + 1)) {
    size_t end = at + needle.size();
    if (end == text->size() || (*text)[end] == '\n' || (*text)[end] == '/') return true;
  }
  return false;
}

// Sends SIGKILL to `pid` if it is (still) in cgroup `name`: the pidfd pins the process, so
// a pid reused after the check cannot be hit. 0 when done or when the process is gone.
int KillIfInCgroup(pid_t pid, const std::string& name) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return errno == ESRCH ? 0 : errno;
  if (!InCgroup(pid, name)) return 0;
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0) {
    return errno == ESRCH ? 0 : errno;
  }
  return 0;
}

}  // namespace

std::string NewBuildCgroupName(std::string_view installation_id) {
  std::random_device random;
  return fmt::format("stackyard-build-{}-{:08x}{:08x}", installation_id, random(), random());
}

bool IsBuildCgroupName(std::string_view name, std::string_view installation_id) {
  std::string prefix = fmt::format("stackyard-build-{}-", installation_id);
  if (!name.starts_with(prefix)) return false;
  std::string_view random = name.substr(prefix.size());
  return random.size() == kRandomHexDigits &&
         random.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::vector<std::string> CgroupDirs(std::string_view mountinfo, std::string_view name) {
  std::vector<std::string> dirs;
  while (!mountinfo.empty()) {
    size_t end = mountinfo.find('\n');
    std::string_view line = mountinfo.substr(0, end);
    mountinfo = end == std::string_view::npos ? std::string_view() : mountinfo.substr(end + 1);
    // ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    std::vector<std::string_view> fields = Fields(line);
    size_t separator = 6;
    while (separator < fields.size() && fields[separator] != "-") ++separator;
    if (fields.size() < 5 || separator + 1 >= fields.size()) continue;
    std::string_view type = fields[separator + 1];
    if (type != "cgroup" && type != "cgroup2") continue;
    std::string dir = fs::Join(Unescape(fields[4]), std::string(name));
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(std::move(dir));
  }
  return dirs;
}

Result<int> KillCgroup(const std::string& name, std::chrono::milliseconds quiet,
                       std::chrono::milliseconds limit) {
  std::string mountinfo = TRY_CTX(fs::ReadFile("/proc/self/mountinfo"), "list the mounts");
  std::vector<std::string> dirs = CgroupDirs(mountinfo, name);
  if (dirs.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition, "no cgroup file system is mounted");
  }
  const auto deadline = SteadyClock::now() + limit;
  auto quiet_since = SteadyClock::now();
  std::set<pid_t> killed;
  while (true) {
    std::set<pid_t> pids;
    for (const std::string& dir : dirs) {
      // Absent between RUN steps and once the last one has ended.
      auto procs = fs::ReadFile(fs::Join(dir, "cgroup.procs"), 16 * 1024 * 1024);
      if (!procs) continue;
      for (size_t at = 0; at < procs->size();) {
        size_t end = procs->find('\n', at);
        if (end == std::string::npos) end = procs->size();
        pid_t pid = 0;
        auto [next, error] = std::from_chars(procs->data() + at, procs->data() + end, pid);
        if (error == std::errc() && next == procs->data() + end && pid > 0) pids.insert(pid);
        at = end + 1;
      }
    }
    for (pid_t pid : pids) {
      if (int error = KillIfInCgroup(pid, name); error != 0) {
        return Unexpected(
            error == EPERM ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
            fmt::format("signal process {} of cgroup {}: {}", pid, name, std::strerror(error)));
      }
      killed.insert(pid);
    }
    auto now = SteadyClock::now();
    if (!pids.empty()) {
      quiet_since = now;
    } else if (now - quiet_since >= quiet) {
      return static_cast<int>(killed.size());
    }
    if (now >= deadline) {
      return Unexpected(ErrorCode::kTimeout,
                        fmt::format("cgroup {} still has {} processes after {} ms", name,
                                    pids.size(), limit.count()));
    }
    std::this_thread::sleep_for(kPoll);
  }
}

Result<int> StopLeftoverBuilds(std::string_view installation_id) {
  std::string mountinfo = TRY_CTX(fs::ReadFile("/proc/self/mountinfo"), "list the mounts");
  std::set<std::string> names;
  for (const std::string& root : CgroupDirs(mountinfo, "")) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
      std::string name = entry.path().filename();
      if (IsBuildCgroupName(name, installation_id)) names.insert(name);
    }
  }
  int killed = 0;
  for (const std::string& name : names) {
    killed += TRY(KillCgroup(name, kLeftoverQuiet, kLeftoverLimit));
  }
  return killed;
}

}  // namespace yard::runtime
