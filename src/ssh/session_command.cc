#include "ssh/session_command.h"

#include <fmt/core.h>

#include <algorithm>
#include <csignal>

namespace yard::ssh {
namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxTermBytes = 64;
constexpr int kMaxTerminalSide = 10000;

bool IsNameChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// [A-Z_][A-Z0-9_]*, short: what a variable a client may set looks like.
bool IsEnvName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && !(name[0] >= '0' && name[0] <= '9') &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

// A terminal name as terminfo spells them: "xterm-256color", "screen.xterm", "rxvt-unicode+x".
bool IsTermName(std::string_view term) {
  return !term.empty() && term.size() <= kMaxTermBytes &&
         std::all_of(term.begin(), term.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '+';
         });
}

// "version=N", the only GIT_PROTOCOL OpenSSH clients of git send; git itself passes it on.
bool IsGitProtocol(std::string_view value) {
  return value.size() == 9 && value.starts_with("version=") && value[8] >= '0' && value[8] <= '9';
}

}  // namespace

std::vector<std::string> ShellCommand() {
  return {"/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l"};
}

std::vector<std::string> ExecCommand(std::string_view command) {
  return {"/bin/sh", "-c", std::string(command)};
}

std::vector<std::string> SftpCommand() {
  std::string paths;
  std::string listed;
  for (std::string_view path : kSftpServerPaths) {
    paths += fmt::format(" {}", path);
    listed += fmt::format("{}{}", listed.empty() ? "" : ", ", path);
  }
  // OpenSSH's sftp and scp show a channel's stderr, so the message reaches the user. The
  // client's first packet is read before the message: an exec that ends with input unread in
  // the engine's attach socket has that socket reset, and Podman then drops the output.
  return {"/bin/sh", "-c",
          fmt::format("for p in{}; do [ -x \"$p\" ] && exec \"$p\"; done; "
                      "head -c 1 >/dev/null 2>&1; echo \"yard: this "
                      "container has no sftp-server (looked in {}); install openssh-sftp-server "
                      "in its image to use sftp and scp\" >&2; exit 127",
                      paths, listed)};
}

std::optional<int> SignalNumber(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kSignals[] = {
      {"INT", SIGINT},   {"TERM", SIGTERM}, {"HUP", SIGHUP},   {"QUIT", SIGQUIT},
      {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"ALRM", SIGALRM}};
  for (const auto& [known, number] : kSignals) {
    if (name == known) return number;
  }
  return std::nullopt;
}

bool EnvAllowed(std::string_view name, bool git_user) {
  if (!IsEnvName(name)) return false;
  if (git_user && name == "GIT_PROTOCOL") return true;
  return name == "LANG" || name == "LANGUAGE" || name == "COLORTERM" || name == "TZ" ||
         (name.starts_with("LC_") && name.size() > 3);
}

SessionSetup::SessionSetup(bool git_user, EnvLimits limits)
    : git_user_(git_user), limits_(limits) {}

void SessionSetup::SetPty(std::string_view term, int rows, int cols) {
  tty_ = true;
  term_ = IsTermName(term) ? std::string(term) : "xterm";
  // Some clients send 0x0 for "unknown"; a terminal needs a size.
  bool valid = rows > 0 && cols > 0 && rows <= kMaxTerminalSide && cols <= kMaxTerminalSide;
  rows_ = valid ? rows : 24;
  cols_ = valid ? cols : 80;
}

Status SessionSetup::SetEnv(std::string_view name, std::string_view value) {
  std::string shown = IsEnvName(name) ? std::string(name) : "(a malformed name)";
  if (!EnvAllowed(name, git_user_)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("env {} is not accepted from clients", shown));
  }
  if (value.size() > limits_.max_value_bytes) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("env {}: the value has {} bytes, at most {} are accepted", shown,
                                  value.size(), limits_.max_value_bytes));
  }
  if (value.find('\0') != std::string_view::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("env {}: the value holds a NUL", shown));
  }
  if (name == "GIT_PROTOCOL" && !IsGitProtocol(value)) {
    return Unexpected(ErrorCode::kInvalidArgument, "env GIT_PROTOCOL must be version=N");
  }
  for (auto& [known, known_value] : env_) {
    if (known == name) {
      known_value = std::string(value);
      return Ok();
    }
  }
  if (env_.size() >= limits_.max_variables) {
    return Unexpected(
        ErrorCode::kInvalidArgument,
        fmt::format("env {}: at most {} variables are accepted", shown, limits_.max_variables));
  }
  env_.emplace_back(name, value);
  return Ok();
}

std::string SessionSetup::git_protocol() const {
  for (const auto& [name, value] : env_) {
    if (name == "GIT_PROTOCOL") return value;
  }
  return "";
}

Result<ExecRequest> MakeExecRequest(const SessionSetup& setup, const SessionRequest& request,
                                    const std::string& container_id,
                                    const std::vector<std::pair<std::string, std::string>>& added) {
  ExecRequest exec{.container_id = container_id, .tty = setup.tty()};
  switch (request.kind) {
    case SessionRequest::Kind::kShell:
      exec.cmd = ShellCommand();
      break;
    case SessionRequest::Kind::kExec:
      exec.cmd = ExecCommand(request.text);
      break;
    case SessionRequest::Kind::kSubsystem:
      if (request.text != "sftp") {
        std::string shown;
        for (char c : request.text.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
        return Unexpected(
            ErrorCode::kInvalidArgument,
            fmt::format("yard: the subsystem '{}' is not served; only sftp is", shown));
      }
      exec.cmd = SftpCommand();
      exec.tty = false;
      break;
  }
  if (exec.tty) {
    exec.rows = setup.rows();
    exec.cols = setup.cols();
    exec.env.emplace_back("TERM", setup.term());
  }
  for (const auto& [name, value] : setup.env()) {
    // GIT_PROTOCOL is for git on the host, never for a container.
    if (name == "GIT_PROTOCOL") continue;
    bool overridden = std::any_of(added.begin(), added.end(),
                                  [&](const auto& pair) { return pair.first == name; });
    if (!overridden) exec.env.emplace_back(name, value);
  }
  exec.env.insert(exec.env.end(), added.begin(), added.end());
  return exec;
}

}  // namespace yard::ssh
