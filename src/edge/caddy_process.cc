#include "edge/caddy_process.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

constexpr milliseconds kPingTimeout{1000};
constexpr milliseconds kLoadTimeout{30000};
constexpr milliseconds kTailTick{250};
constexpr int64_t kMaxLogBytes = 10 << 20;
constexpr size_t kMaxLineBytes = 1 << 20;

http::Endpoint AdminEndpoint(const std::string& socket_path) {
  return http::Endpoint{.kind = http::Endpoint::Kind::kUnix, .path = socket_path};
}

// The client sends `Host: localhost` on unix sockets, the one origin our configs allow.
bool Answers(const std::string& socket_path) {
  http::Client client(AdminEndpoint(socket_path));
  http::ClientRequest request;
  request.target = "/config/";
  auto response = client.Send(request, kPingTimeout);
  return response && response->status == 200;
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

SupervisedProcessOptions CaddyRunOptions(const CaddyOptions& options) {
  std::string dir = fs::Absolute(options.dir);
  std::string socket_path = fs::Join(dir, "caddy.sock");
  std::string home = fs::Join(dir, "home");
  return {
      .name = "caddy",
      .log_prefix = "edge",
      .process = {.argv = {options.caddy, "run", "--config", fs::Join(dir, "caddy.json")},
                  // Caddy keeps its autosave and default storage under the XDG dirs: ours, not
                  // the user's.
                  .env = {{"HOME", home},
                          {"XDG_DATA_HOME", fs::Join(home, "data")},
                          {"XDG_CONFIG_HOME", fs::Join(home, "config")}},
                  .cwd = dir,
                  .die_with_parent = options.die_with_parent},
      .log_path = fs::Join(dir, "caddy.log"),
      .pid_path = fs::Join(dir, "caddy.pid"),
      .socket_path = socket_path,
      .answers = [socket_path] { return Answers(socket_path); },
      .start_timeout = options.start_timeout,
      .min_backoff = options.min_backoff,
      .max_backoff = options.max_backoff,
      .healthy_after = options.healthy_after,
  };
}

}  // namespace

CaddyProcess::CaddyProcess(CaddyOptions options)
    : options_(std::move(options)),
      dir_(fs::Absolute(options_.dir)),
      socket_path_(fs::Join(dir_, "caddy.sock")),
      storage_dir_(fs::Join(dir_, "storage")),
      config_path_(fs::Join(dir_, "caddy.json")),
      log_path_(fs::Join(dir_, "caddy.log")),
      pid_path_(fs::Join(dir_, "caddy.pid")),
      home_(fs::Join(dir_, "home")),
      process_(CaddyRunOptions(options_)) {}

CaddyProcess::~CaddyProcess() { Stop(); }

pid_t CaddyProcess::pid() { return process_.pid(); }

int CaddyProcess::restarts() { return process_.restarts(); }

std::optional<std::string> CaddyProcess::CertificateError(const std::string& host) const {
  std::lock_guard lock(errors_mutex_);
  return errors_.Get(host);
}

Status CaddyProcess::Start() {
  // The tailer runs from Start to Stop, also while a Start is under way.
  if (process_.started() || tailer_.joinable()) {
    return Unexpected(ErrorCode::kFailedPrecondition, "Caddy is already started");
  }
  TRY(CheckUnixSocketPath(socket_path_, "Caddy's admin socket"));
  TRY_CTX(fs::CreateDirectories(dir_, 0700), "create the edge directory");
  TRY_CTX(fs::CreateDirectories(storage_dir_, 0700), "create Caddy's storage directory");
  TRY_CTX(fs::CreateDirectories(home_, 0700), "create Caddy's home directory");
  bool saved_config = fs::Exists(config_path_);
  if (!saved_config) TRY(WriteMinimalConfig());
  EndLeftoverCaddy(dir_);

  // Only what this run's Caddy writes matters; earlier runs' errors are stale.
  struct stat info;
  log_offset_ = stat(log_path_.c_str(), &info) == 0 ? info.st_size : 0;
  tailer_ = std::jthread([this](std::stop_token stop) { Tail(std::move(stop)); });

  Status status = process_.Start();
  if (!status && status.error().code == ErrorCode::kUnavailable && saved_config) {
    std::string rejected = config_path_ + ".rejected";
    log::Warn("edge: caddy exited on the saved config, moved to {}; starting without routes: {}",
              rejected, status.error().message);
    std::error_code error;
    std::filesystem::rename(config_path_, rejected, error);
    if (error) log::Warn("edge: cannot move {}: {}", config_path_, error.message());
    status = WriteMinimalConfig();
    if (status) status = process_.Start();
  }
  if (!status) Stop();  // joins the tailer
  return status;
}

void CaddyProcess::Stop() {
  process_.Stop();
  // After Caddy has ended, so that its last lines are read.
  if (tailer_.joinable()) {
    tailer_.request_stop();
    tailer_.join();
  }
}

Status CaddyProcess::Load(const nlohmann::json& config) {
  std::lock_guard load_lock(load_mutex_);
  if (!process_.started()) {
    return Unexpected(ErrorCode::kFailedPrecondition, "Caddy is not started");
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
  // Only `caddy run --config DIR/caddy.json`: the pid may have been reused since.
  EndRecordedProcess(fs::Join(absolute, "caddy.pid"), {"run", fs::Join(absolute, "caddy.json")});
}

}  // namespace yard::edge
