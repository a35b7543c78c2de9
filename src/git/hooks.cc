#include "git/hooks.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <istream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <system_error>

#include "base/fs.h"
#include "base/process.h"
#include "git/git_command.h"

namespace yard::git {
namespace {

constexpr size_t kMaxPatternLength = 200;
constexpr std::string_view kBranchPrefix = "refs/heads/";
constexpr const char* kProjectVariable = "YARD_PROJECT";
constexpr const char* kBranchesVariable = "YARD_PROTECTED_BRANCHES";
constexpr const char* kDenyForceVariable = "YARD_DENY_FORCE_PUSH";
constexpr const char* kDenyDeleteVariable = "YARD_DENY_DELETE";

// What a git call inside a hook must keep of the hook's environment. receive-pack runs the
// pre-receive hook before the pushed objects are let into the repository: they sit in a
// quarantine directory that only these variables name, so a call without them cannot see the
// new commits ("Not a valid commit name"). GIT_DIR is "." (the hook runs in the repository).
constexpr const char* kKeptGitVariables[] = {
    "GIT_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"};

bool AllZeros(std::string_view commit) {
  return !commit.empty() && commit.find_first_not_of('0') == std::string_view::npos;
}

bool IsHex(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string ShellQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

Result<bool> IsAncestorInHook(const std::string& ancestor, const std::string& descendant) {
  ProcessOptions options;
  options.argv = GitArgv({.args = {"merge-base", "--is-ancestor", ancestor, descendant}});
  options.env = GitEnvironment();
  for (const char* name : kKeptGitVariables) {
    if (const char* value = std::getenv(name)) options.env[name] = value;
  }
  options.clear_env = true;
  options.timeout = kLocalTimeout;
  ProcessResult result = TRY(RunProcess(options));
  if (result.exit_code == 0) return true;
  if (result.exit_code == 1 && !result.timed_out) return false;
  std::string why = SummarizeStderr(result.stderr_data);
  if (why.empty()) why = result.Describe();
  return Unexpected(ErrorCode::kInternal, "git merge-base: " + why);
}

Result<BranchProtection> ProtectionFromEnvironment() {
  BranchProtection protection;
  std::string_view branches = Env(kBranchesVariable);
  if (branches.empty()) return protection;
  nlohmann::json list = nlohmann::json::parse(branches, nullptr, /*allow_exceptions=*/false);
  if (!list.is_array()) {
    return Unexpected(ErrorCode::kInternal,
                      fmt::format("{} is not a JSON array", kBranchesVariable));
  }
  for (const auto& item : list) {
    if (!item.is_string()) {
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("{} holds something other than strings", kBranchesVariable));
    }
    protection.patterns.push_back(item.get<std::string>());
  }
  // Anything but an explicit "0" denies: a missing setting must not open a protected branch.
  protection.deny_force_push = std::string_view(Env(kDenyForceVariable)) != "0";
  protection.deny_delete = std::string_view(Env(kDenyDeleteVariable)) != "0";
  return protection;
}

int PreReceive(std::string_view input, std::ostream& err) {
  auto protection = ProtectionFromEnvironment();
  if (!protection) {
    // Refuse rather than let a push past protection that could not be read.
    err << "yard: cannot read the branch protection: " << protection.error().message << "\n";
    return 1;
  }
  if (protection->patterns.empty()) return 0;
  std::string project = Env(kProjectVariable);
  std::string hint;
  bool refused = false;
  for (const RefUpdate& update : ParseRefUpdates(input)) {
    Status allowed = CheckRefUpdate(*protection, update, IsAncestorInHook);
    if (allowed) continue;
    refused = true;
    err << "yard: " << allowed.error().message << "\n";
    if (hint.empty() && !project.empty()) {
      std::string pattern = ProtectingPattern(*protection, update).value_or("BRANCH");
      hint = fmt::format(
          "yard: an owner of {} can allow it: `yard projects protect {} '{}' {}`, or lift the "
          "protection: `yard projects unprotect {} '{}'`\n",
          project, project, pattern, update.deleted() ? "--allow-delete" : "--allow-force-push",
          project, pattern);
    }
  }
  if (refused) err << "yard: the push was refused as a whole; nothing was updated\n" << hint;
  return refused ? 1 : 0;
}

int PostReceive(std::string_view input, std::ostream& err) {
  const char* report = std::getenv(kPushReportVariable);
  if (report == nullptr || *report == '\0' || input.empty()) return 0;
  int fd = ::open(report, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    err << "yard: cannot record the push: " << std::generic_category().message(errno) << "\n";
    return 0;  // the refs are updated already; the exit code would change nothing
  }
  while (!input.empty()) {
    ssize_t n = ::write(fd, input.data(), input.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err << "yard: cannot record the push: " << std::generic_category().message(errno) << "\n";
      break;
    }
    input.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

}  // namespace

Status ValidateBranchPattern(std::string_view pattern) {
  auto invalid = [&pattern](std::string_view why) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a branch name or pattern: {}", pattern, why));
  };
  if (pattern.empty()) return invalid("it is empty");
  if (pattern.size() > kMaxPatternLength) return invalid("it is longer than 200 characters");
  for (char c : pattern) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return invalid("it has whitespace or control characters");
    if (c == '~' || c == '^' || c == ':' || c == '\\') {
      return invalid("it has one of ~ ^ : \\");
    }
  }
  if (pattern.find("..") != std::string_view::npos) return invalid("it has '..'");
  if (pattern.find("//") != std::string_view::npos) return invalid("it has '//'");
  if (pattern.front() == '-' || pattern.front() == '/') return invalid("it starts with - or /");
  if (pattern.back() == '/' || pattern.back() == '.' || pattern.ends_with(".lock")) {
    return invalid("it ends with /, . or .lock");
  }
  return Ok();
}

bool RefUpdate::created() const { return AllZeros(old_commit); }
bool RefUpdate::deleted() const { return AllZeros(new_commit); }

std::optional<std::string> RefUpdate::branch() const {
  if (!ref.starts_with(kBranchPrefix) || ref.size() == kBranchPrefix.size()) return std::nullopt;
  return ref.substr(kBranchPrefix.size());
}

std::vector<RefUpdate> ParseRefUpdates(std::string_view text) {
  std::vector<RefUpdate> updates;
  size_t begin = 0;
  while (true) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) break;
    std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    size_t first = line.find(' ');
    size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos) continue;
    RefUpdate update{std::string(line.substr(0, first)),
                     std::string(line.substr(first + 1, second - first - 1)),
                     std::string(line.substr(second + 1))};
    if (!IsHex(update.old_commit) || !IsHex(update.new_commit) || update.ref.empty()) continue;
    updates.push_back(std::move(update));
  }
  return updates;
}

bool BranchMatches(const std::string& pattern, const std::string& branch) {
  // FNM_PATHNAME keeps `*` within a segment; a pattern with `**` asks for any depth.
  int flags = pattern.find("**") == std::string::npos ? FNM_PATHNAME : 0;
  return fnmatch(pattern.c_str(), branch.c_str(), flags) == 0;
}

std::optional<std::string> ProtectingPattern(const BranchProtection& protection,
                                             const RefUpdate& update) {
  std::optional<std::string> branch = update.branch();
  if (!branch) return std::nullopt;
  for (const std::string& pattern : protection.patterns) {
    if (BranchMatches(pattern, *branch)) return pattern;
  }
  return std::nullopt;
}

Status CheckRefUpdate(const BranchProtection& protection, const RefUpdate& update,
                      const IsAncestor& is_ancestor) {
  std::optional<std::string> pattern = ProtectingPattern(protection, update);
  if (!pattern) return Ok();
  std::string branch = *update.branch();
  std::string by = *pattern == branch ? "" : fmt::format(" (protected by '{}')", *pattern);
  if (update.deleted()) {
    if (!protection.deny_delete) return Ok();
    return Unexpected(ErrorCode::kPermissionDenied,
                      fmt::format("refusing to delete protected branch {}{}", branch, by));
  }
  if (update.created() || !protection.deny_force_push) return Ok();
  auto ancestor = is_ancestor(update.old_commit, update.new_commit);
  if (!ancestor) {
    return Unexpected(ErrorCode::kPermissionDenied,
                      fmt::format("cannot tell whether the push to protected branch {} is a "
                                  "fast-forward ({}); refusing it",
                                  branch, ancestor.error().message));
  }
  if (!*ancestor) {
    return Unexpected(ErrorCode::kPermissionDenied,
                      fmt::format("refusing a force-push to protected branch {}{}", branch, by));
  }
  return Ok();
}

std::map<std::string, std::string> ProtectionEnvironment(const BranchProtection& protection,
                                                         const std::string& project) {
  return {{kProjectVariable, project},
          {kBranchesVariable, nlohmann::json(protection.patterns).dump()},
          {kDenyForceVariable, protection.deny_force_push ? "1" : "0"},
          {kDenyDeleteVariable, protection.deny_delete ? "1" : "0"}};
}

Status WriteHooks(const std::string& dir, const std::string& yard_binary) {
  TRY(fs::CreateDirectories(dir, 0755));
  for (std::string_view name : {"pre-receive", "post-receive"}) {
    std::string script = fmt::format(
        "#!/bin/sh\n"
        "# Written by yard at every start: changes here are lost.\n"
        "exec {} internal git-hook {}\n",
        ShellQuote(yard_binary), name);
    TRY(fs::AtomicWriteFile(fs::Join(dir, std::string(name)), script, 0755));
  }
  return Ok();
}

int RunHook(std::string_view name, std::istream& input, std::ostream& err) {
  std::string lines(std::istreambuf_iterator<char>(input), {});
  if (name == "pre-receive") return PreReceive(lines, err);
  if (name == "post-receive") return PostReceive(lines, err);
  err << "yard: unknown git hook '" << name << "'\n";
  return 2;
}

}  // namespace yard::git
