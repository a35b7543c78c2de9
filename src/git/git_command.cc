#include "git/git_command.h"

#include <array>
#include <cstdlib>
#include <initializer_list>

#include <fmt/core.h>

#include "git/remote_url.h"

namespace yard::git {
namespace {

constexpr size_t kMaxSummaryChars = 1000;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// `-c` options on every command line. Command-line config wins over every file, so these hold
// whatever a repository's own config says.
constexpr std::array<const char*, 6> kSafetyConfig = {
    // ext:: runs arbitrary commands; GIT_ALLOW_PROTOCOL already excludes it, this is the
    // second lock on the same door.
    "protocol.ext.allow=never",
    // Automatic gc would otherwise detach into the background, outliving our deadline (and
    // then be killed with the process group half-way).
    "gc.autoDetach=false",
    "maintenance.autoDetach=false",
    // No credential helper may run or store anything, whatever config appears later.
    "credential.helper=",
    "core.askPass=/bin/true",
    // Readers never need the fsmonitor daemon; it could start a long-lived child.
    "core.fsmonitor=false",
};

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty() || from == to) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool Contains(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (std::string_view needle : needles) {
    if (haystack.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::map<std::string, std::string> GitEnvironment() {
  const char* path = std::getenv("PATH");
  return {
      {"PATH", path != nullptr && *path != '\0' ? path : kDefaultPath},
      {"LC_ALL", "C"},
      {"LANG", "C"},
      // No file config but the repository's own: the server user's ~/.gitconfig or
      // /etc/gitconfig could set hooks paths, URL rewrites, proxies or credential helpers.
      {"GIT_CONFIG_NOSYSTEM", "1"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"},
      {"HOME", "/dev/null"},
      {"XDG_CONFIG_HOME", "/dev/null"},
      // Never wait for a person: fail instead of asking for a user name or password.
      {"GIT_TERMINAL_PROMPT", "0"},
      {"GIT_ASKPASS", "/bin/true"},
      {"SSH_ASKPASS", "/bin/true"},
      {"SSH_ASKPASS_REQUIRE", "never"},
      // BatchMode: no password, passphrase or host-key questions on /dev/tty.
      {"GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=30"},
      // The transports ValidateRemoteUrl accepts, and no others (no ext::, fd::, helpers).
      {"GIT_ALLOW_PROTOCOL", "file:git:http:https:ssh"},
      // Paths we pass are file names, never glob patterns or pathspec magic.
      {"GIT_LITERAL_PATHSPECS", "1"},
      {"GIT_NO_REPLACE_OBJECTS", "1"},
      {"GIT_OPTIONAL_LOCKS", "0"},
  };
}

std::vector<std::string> GitArgv(const GitInvocation& invocation) {
  std::vector<std::string> argv = {"git"};
  for (const char* option : kSafetyConfig) {
    argv.push_back("-c");
    argv.push_back(option);
  }
  if (!invocation.git_dir.empty()) argv.push_back("--git-dir=" + invocation.git_dir);
  argv.insert(argv.end(), invocation.args.begin(), invocation.args.end());
  return argv;
}

Result<ProcessResult> RunGit(const GitInvocation& invocation) {
  ProcessOptions options;
  options.argv = GitArgv(invocation);
  options.env = GitEnvironment();
  options.clear_env = true;
  options.stdin_data = invocation.stdin_data;
  options.timeout = invocation.timeout;
  options.max_output_bytes = invocation.max_output_bytes;
  auto result = RunProcess(options);
  if (!result && result.error().code == ErrorCode::kNotFound) {
    return Unexpected(ErrorCode::kNotFound,
                      "cannot run git: it is not installed or not in PATH (apt-get install git)");
  }
  return result;
}

Result<ProcessResult> RunGitChecked(const GitInvocation& invocation, std::string_view what) {
  ProcessResult result = TRY(RunGit(invocation));
  if (result.Succeeded()) return result;
  if (result.timed_out) {
    return Unexpected(ErrorCode::kTimeout, fmt::format("{}: git did not finish within {} s", what,
                                                       invocation.timeout.count() / 1000));
  }
  std::string summary = SummarizeStderr(result.stderr_data);
  if (summary.empty()) summary = result.Describe();
  return Unexpected(ErrorCode::kInternal, fmt::format("{}: git says: {}", what, summary));
}

std::string SummarizeStderr(std::string_view stderr_data) {
  std::string summary;
  size_t begin = 0;
  while (begin <= stderr_data.size()) {
    size_t end = stderr_data.find_first_of("\r\n", begin);
    if (end == std::string_view::npos) end = stderr_data.size();
    std::string line = Trim(stderr_data.substr(begin, end - begin));
    begin = end + 1;
    // Progress and advice say nothing about the failure. Everything else stays: the telling
    // line is often not git's own "fatal:" but ssh's or the server's ("remote: ...").
    if (line.empty() || line.starts_with("hint:") || line.starts_with("Cloning into")) continue;
    summary += (summary.empty() ? "" : "; ") + line;
  }
  if (summary.size() > kMaxSummaryChars) {
    summary.resize(kMaxSummaryChars);
    // Do not end in the middle of a UTF-8 sequence.
    while (!summary.empty() && (static_cast<unsigned char>(summary.back()) & 0x80) != 0) {
      summary.pop_back();
    }
    summary += "...";
  }
  return summary;
}

Error RemoteFailure(const ProcessResult& result, std::string_view what, std::string_view url) {
  if (result.timed_out) {
    return {ErrorCode::kTimeout,
            fmt::format("{}: the remote did not answer in time (slow or unreachable host)", what)};
  }
  std::string summary = SummarizeStderr(result.stderr_data);
  ReplaceAll(summary, url, RedactUrl(url));
  ReplaceAll(summary, UrlSecret(url), "***");
  if (summary.empty()) summary = result.Describe();
  ErrorCode code = ErrorCode::kUnavailable;
  std::string_view hint = "the remote could not be read";
  // LC_ALL=C keeps these messages in English; the list covers git's, curl's and ssh's wording.
  // Classify on all of stderr, not the capped summary: the telling line may be anywhere.
  std::string_view all = result.stderr_data;
  if (Contains(all,
               {"could not read Username", "could not read Password", "terminal prompts disabled",
                "Authentication failed", "Permission denied (", "Host key verification failed",
                "HTTP Basic: Access denied", "returned error: 401", "returned error: 403"})) {
    code = ErrorCode::kPermissionDenied;
    hint = "the remote requires authentication or refused access";
  } else if (Contains(all, {"does not appear to be a git repository", "not a git repository",
                            "Repository not found", "repository not found", "does not exist",
                            "returned error: 404", "not found"})) {
    code = ErrorCode::kNotFound;
    hint = "there is no Git repository at that address";
  } else if (Contains(all,
                      {"Could not resolve host", "Failed to connect", "Connection refused",
                       "Connection timed out", "Network is unreachable", "No route to host",
                       "Could not resolve hostname", "unable to connect", "Connection reset"})) {
    hint = "the remote host cannot be reached";
  }
  return {code, fmt::format("{}: {} (git says: {})", what, hint, summary)};
}

}  // namespace yard::git
