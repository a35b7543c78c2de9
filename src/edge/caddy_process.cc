#include "edge/caddy_process.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "http/client.h"

namespace yard::edge {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kPingTimeout{1000};
constexpr milliseconds kStartPoll{100};
constexpr milliseconds kSuperviseTick{500};
constexpr milliseconds kStopGrace{10000};
constexpr milliseconds kLoadTimeout{30000};
constexpr milliseconds kTailTick{250};
constexpr size_t kLogTailBytes = 1500;
constexpr int64_t kMaxLogBytes = 10 << 20;
constexpr size_t kMaxLineBytes = 1 << 20;

http::Endpoint AdminEndpoint(const std::string& socket_path) {
  return http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path};
}

std::string LogTail(const std::string& path) {
  auto file = fs::ReadFile(path);
  if (!file) return "";
  std::string_view tail = *file;
  if (tail.size() > kLogTailBytes) tail.remove_prefix(tail.size() - kLogTailBytes);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.remove_suffix(1);
  return std::string(tail);
}

std::string WithTail(std::string message, const std::string& log_path) {
  std::string tail = LogTail(log_path);
  if (!tail.empty()) message += ":\n" + tail;
  return message;
}

// The client sends `Host: localhost` on unix sockets, the one origin our configs allow.
bool Answers(const std::string& socket_path) {
  http::Client client(AdminEndpoint(socket_path));
  http::ClientRequest request;
  request.target = "/config/";
  auto response = client.Send(request, kPingTimeout);
  return response && response->status == 200;
}

// A zombie still answers kill(pid, 0); a leftover that is our own unreaped child is gone.
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
  while (Alive(pid) && SteadyClock::now() < deadline) std::this_thread::sleep_for(kStartPoll);
}

std::string StringAt(const Json& config, const char* object, const char* key) {
  auto outer = config.find(object);
  if (outer == config.end() || !outer->is_object()) return "";
  auto inner = outer->find(key);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : "";
}

std::string Dump(const Json& config, int indent) {
  return config.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Caddy answers a refused config with {"error": "loading config: ..."}.
std::string RefusalMessage(const http::Response& response) {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    return body["error"].get<std::string>();
  }
  std::string text = response.body;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? fmt::format("HTTP {}", response.status) : text;
}

}  // namespace

CaddyProcess::CaddyProcess(CaddyOptions options) : options_(std::move(options)) {
  dir_ = fs::Absolute(options_.dir);
  socket_path_ = fs::Join(dir_, "caddy.sock");
  storage_dir_ = fs::Join(dir_, "storage");
  config_path_ = fs::Join(dir_, "caddy.json");
  log_path_ = fs::Join(dir_, "caddy.log");
  pid_path_ = fs::Join(dir_, "caddy.pid");
  home_ = fs::Join(dir_, "home");
}

CaddyProcess::~CaddyProcess() { Stop(); }

pid_t CaddyProcess::pid() {
  std::lock_guard lock(mutex_);
  return process_ && process_->Running() ? process_->pid() : -1;
}

int CaddyProcess::restarts() {
  std::lock_guard lock(mutex_);
  return restarts_;
}

std::optional<std::string> CaddyProcess::CertificateError(const std::string& host) const {
  std::lock_guard lock(errors_mutex_);
  return errors_.Get(host);
}

Status CaddyProcess::Start() {
  {
    std::lock_guard lock(mutex_);
    if (started_ || supervisor_.joinable()) {
      return Unexpected(ErrorCode::kFailedPrecondition, "Caddy is already started");
    }
  }
  if (socket_path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("Caddy's admin socket path {} is longer than a unix socket "
                                  "allows ({} bytes); use a shorter data dir",
                                  socket_path_, sizeof(sockaddr_un{}.sun_path) - 1));
  }
  TRY_CTX(fs::CreateDirectories(dir_, 0700), "create the edge directory");
  TRY_CTX(fs::CreateDirectories(storage_dir_, 0700), "create Caddy's storage directory");
  TRY_CTX(fs::CreateDirectories(home_, 0700), "create Caddy's home directory");
  saved_config_ = fs::Exists(config_path_);
  if (!saved_config_) TRY(WriteMinimalConfig());
  EndLeftoverCaddy(dir_);
  TRY_CTX(fs::RemoveFile(socket_path_), "remove the old admin socket");

  // Only what this run's Caddy writes matters; earlier runs' errors are stale.
  struct stat info;
  log_offset_ = stat(log_path_.c_str(), &info) == 0 ? info.st_size : 0;
  tailer_ = std::jthread([this](std::stop_token stop) { Tail(std::move(stop)); });
  {
    std::lock_guard lock(mutex_);
    start_status_.reset();
    restarts_ = 0;
  }
  supervisor_ = std::jthread([this](std::stop_token stop) { Run(std::move(stop)); });

  Status status;
  {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return start_status_.has_value(); });
    status = *start_status_;
    started_ = status.has_value();
  }
  if (!status) Stop();  // the supervisor has ended Caddy; this joins it and the tailer
  return status;
}

void CaddyProcess::Stop() {
  if (supervisor_.joinable()) {
    supervisor_.request_stop();
    supervisor_.join();
  }
  // After the supervisor, so that Caddy's last lines are read.
  if (tailer_.joinable()) {
    tailer_.request_stop();
    tailer_.join();
  }
  std::lock_guard lock(mutex_);
  started_ = false;
}

Status CaddyProcess::Load(const nlohmann::json& config) {
  std::lock_guard load_lock(load_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (!started_) return Unexpected(ErrorCode::kFailedPrecondition, "Caddy is not started");
  }
  if (!config.is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument, "Caddy's config must be a JSON object");
  }
  // Caddy would obey a config that moves its admin API, and the server could never reach it
  // again; certificates are read from storage_dir().
  if (StringAt(config, "admin", "listen") != "unix/" + socket_path_) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the config must keep Caddy's admin API at unix/{}, not '{}'",
                                  socket_path_, StringAt(config, "admin", "listen")));
  }
  if (StringAt(config, "storage", "module") != "file_system" ||
      StringAt(config, "storage", "root") != storage_dir_) {
    return Unexpected(
        ErrorCode::kInvalidArgument,
        fmt::format("the config must keep Caddy's storage in {} (file_system)", storage_dir_));
  }

  http::Client client(AdminEndpoint(socket_path_));
  http::ClientRequest request;
  request.method = "POST";
  request.target = "/load";
  request.body = Dump(config, -1);
  auto response = client.Send(request, kLoadTimeout);
  if (!response) {
    return Unexpected(ErrorCode::kUnavailable,
                      "Caddy's admin API did not answer: " + response.error().message);
  }
  if (response->status < 200 || response->status >= 300) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "Caddy refused the config: " + RefusalMessage(*response));
  }
  TRY_CTX(fs::AtomicWriteFile(config_path_, Dump(config, 2) + "\n", 0600), "save Caddy's config");
  return Ok();
}

Status CaddyProcess::WriteMinimalConfig() {
  Json config = {
      {"admin", {{"listen", "unix/" + socket_path_}, {"origins", {"localhost"}}}},
      {"storage", {{"module", "file_system"}, {"root", storage_dir_}}},
  };
  TRY_CTX(fs::AtomicWriteFile(config_path_, Dump(config, 2) + "\n", 0600),
          "write Caddy's initial config");
  return Ok();
}

Status CaddyProcess::Spawn() {
  Subprocess::Spawn spawn;
  spawn.options.argv = {options_.caddy, "run", "--config", config_path_};
  // Caddy keeps its autosave and default storage under the XDG dirs: ours, not the user's.
  spawn.options.env = {{"HOME", home_},
                       {"XDG_DATA_HOME", fs::Join(home_, "data")},
                       {"XDG_CONFIG_HOME", fs::Join(home_, "config")}};
  spawn.options.cwd = dir_;
  spawn.options.die_with_parent = options_.die_with_parent;
  spawn.stdout_path = log_path_;
  spawn.stderr_path = log_path_;
  auto process = Subprocess::Start(spawn);
  if (!process) return Unexpected(process.error().WithContext("start caddy"));
  process_.emplace(std::move(*process));
  started_at_ = SteadyClock::now();
  // A server killed without stopping Caddy leaves it running; the next one ends it.
  if (Status written = fs::AtomicWriteFile(pid_path_, std::to_string(process_->pid()) + "\n");
      !written) {
    log::Warn("edge: cannot record Caddy's pid: {}", written.error().message);
  }
  log::Debug("edge: caddy started, pid {}", process_->pid());
  return Ok();
}

// Every spawn happens on this thread: with die_with_parent, Caddy lives exactly as long as
// the thread that started it (PR_SET_PDEATHSIG), so that must be the supervisor.
void CaddyProcess::Run(std::stop_token stop) {
  Status ready = Launch(stop);
  {
    std::lock_guard lock(mutex_);
    start_status_ = ready;
  }
  wake_.notify_all();
  if (ready) Supervise(stop);

  std::lock_guard lock(mutex_);
  if (process_) {
    ProcessResult result = process_->Terminate(kStopGrace);
    log::Debug("edge: caddy stopped ({})", result.Describe());
    process_.reset();
  }
  (void)fs::RemoveFile(pid_path_);
}

Status CaddyProcess::Launch(std::stop_token stop) {
  {
    std::lock_guard lock(mutex_);
    TRY(Spawn());
  }
  Status ready = WaitUntilAnswering(stop);
  if (ready || ready.error().code != ErrorCode::kUnavailable || !saved_config_ ||
      stop.stop_requested()) {
    return ready;
  }
  std::string rejected = config_path_ + ".rejected";
  log::Warn("edge: caddy exited on the saved config, moved to {}; starting without routes: {}",
            rejected, ready.error().message);
  std::error_code error;
  std::filesystem::rename(config_path_, rejected, error);
  if (error) log::Warn("edge: cannot move {}: {}", config_path_, error.message());
  TRY(WriteMinimalConfig());
  {
    std::lock_guard lock(mutex_);
    TRY(Spawn());
  }
  return WaitUntilAnswering(stop);
}

Status CaddyProcess::WaitUntilAnswering(std::stop_token stop) {
  const auto deadline = SteadyClock::now() + options_.start_timeout;
  while (true) {
    if (stop.stop_requested()) {
      return Unexpected(ErrorCode::kUnavailable, "stopped before Caddy answered");
    }
    if (Answers(socket_path_)) return Ok();
    {
      std::lock_guard lock(mutex_);
      if (!process_ || !process_->Running()) {
        std::string how = process_ ? process_->Wait(milliseconds(0))->Describe() : "not running";
        return Unexpected(ErrorCode::kUnavailable, WithTail("caddy " + how, log_path_));
      }
    }
    if (SteadyClock::now() >= deadline) {
      return Unexpected(ErrorCode::kTimeout,
                        WithTail(fmt::format("caddy did not answer on {} within {} ms",
                                             socket_path_, options_.start_timeout.count()),
                                 log_path_));
    }
    std::this_thread::sleep_for(kStartPoll);
  }
}

void CaddyProcess::Supervise(std::stop_token stop) {
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
    log::Warn("edge: caddy {}; restarting in {} ms (log: {})", how, backoff.count(), log_path_);
    wake_.wait_for(lock, stop, backoff, never);
    if (stop.stop_requested()) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
    process_.reset();
    (void)fs::RemoveFile(socket_path_);
    if (Status spawned = Spawn(); !spawned) {
      log::Error("edge: {}", spawned.error().message);
      continue;
    }
    ++restarts_;
  }
}

// Caddy writes its log itself (O_APPEND), so this thread follows the file rather than a pipe:
// Caddy never blocks on a reader, and the log survives the server.
void CaddyProcess::Tail(std::stop_token stop) {
  std::string partial;
  std::unique_lock lock(tail_mutex_);
  auto never = [] { return false; };
  while (true) {
    bool stopping = stop.stop_requested();
    ReadLog(partial);
    if (stopping) return;
    tail_wake_.wait_for(lock, stop, kTailTick, never);
  }
}

void CaddyProcess::ReadLog(std::string& partial) {
  int fd = open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat info;
  if (fstat(fd, &info) != 0) {
    close(fd);
    return;
  }
  if (info.st_size < log_offset_) {  // truncated behind our back
    log_offset_ = 0;
    partial.clear();
  }
  std::vector<char> buffer(64 * 1024);
  while (log_offset_ < info.st_size) {
    ssize_t n = pread(fd, buffer.data(), buffer.size(), log_offset_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), partial);
    log_offset_ += n;
  }
  close(fd);
  if (log_offset_ > kMaxLogBytes) RotateLog(partial);
}

void CaddyProcess::Feed(std::string_view bytes, std::string& partial) {
  // An overlong line is cut, no longer parses, and is ignored.
  auto append = [&partial](std::string_view piece) {
    size_t room = kMaxLineBytes - std::min(partial.size(), kMaxLineBytes);
    partial.append(piece.substr(0, room));
  };
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      append(bytes);
      return;
    }
    append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    Observe(partial);
    partial.clear();
  }
}

// One warning per host while its certificate keeps failing: each attempt logs several errors
// (the challenge, the authorization, the issuer), and Caddy retries for days.
void CaddyProcess::Observe(std::string_view line) {
  std::lock_guard lock(errors_mutex_);
  auto host = errors_.Observe(line);
  if (!host) return;
  if (auto error = errors_.Get(*host)) {
    if (warned_.insert(*host).second) {
      log::Warn("edge: cannot obtain a certificate for {}: {}", *host, *error);
    } else {
      log::Debug("edge: cannot obtain a certificate for {}: {}", *host, *error);
    }
  } else if (warned_.erase(*host) > 0) {
    log::Info("edge: obtained a certificate for {}", *host);
  }
}

// Caddy keeps the log open, so it cannot be renamed away: copy it to caddy.log.1 and truncate
// it in place (Caddy appends, so it goes on at the new end). Lines Caddy writes between the
// copy and the truncation are lost; at this size, that is a rare line.
void CaddyProcess::RotateLog(std::string& partial) {
  auto text = fs::ReadFile(log_path_, 4 * static_cast<size_t>(kMaxLogBytes));
  if (text) {
    if (static_cast<int64_t>(text->size()) > log_offset_) {
      Feed(std::string_view(*text).substr(static_cast<size_t>(log_offset_)), partial);
    }
    if (Status copied = fs::AtomicWriteFile(log_path_ + ".1", *text, 0600); !copied) {
      log::Warn("edge: cannot keep Caddy's previous log: {}", copied.error().message);
    }
  }
  if (truncate(log_path_.c_str(), 0) != 0) {
    log::Warn("edge: cannot truncate {}: {}", log_path_, std::strerror(errno));
    return;
  }
  log_offset_ = 0;
  partial.clear();
}

void EndLeftoverCaddy(const std::string& dir) {
  std::string absolute = fs::Absolute(dir);
  std::string pid_path = fs::Join(absolute, "caddy.pid");
  std::string config_path = fs::Join(absolute, "caddy.json");
  auto text = fs::ReadFile(pid_path);
  if (!text) return;
  pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
  if (pid <= 1) return;
  // Only `caddy run --config DIR/caddy.json`: the pid may have been reused since.
  auto cmdline = fs::ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline) return;
  std::vector<std::string> args;
  for (size_t begin = 0; begin < cmdline->size();) {
    size_t end = cmdline->find('\0', begin);
    if (end == std::string::npos) end = cmdline->size();
    args.push_back(cmdline->substr(begin, end - begin));
    begin = end + 1;
  }
  bool ours = std::find(args.begin(), args.end(), "run") != args.end() &&
              std::find(args.begin(), args.end(), config_path) != args.end();
  if (!ours || !Alive(pid)) return;
  log::Info("edge: ending the Caddy (pid {}) a previous server left running", pid);
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);
  WaitGone(pid, kStopGrace);
  if (Alive(pid)) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    WaitGone(pid, kStopGrace);
  }
  (void)fs::RemoveFile(pid_path);
}

}  // namespace yard::edge
