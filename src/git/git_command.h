#pragma once

// The one place that starts `git`: a fixed, hardened command line and environment, so that
// neither the server's user config nor a hostile URL can change what git does, and nothing
// ever waits for a password.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/process.h"
#include "base/result.h"

namespace yard::git {

/// Default deadline for commands that only touch the local repository (reads, init, config).
inline constexpr std::chrono::milliseconds kLocalTimeout{60'000};

/// One git command line. `args` come after `git`, the safety options and `--git-dir`.
struct GitInvocation {
  std::vector<std::string> args;
  /// Passed as `--git-dir=...`, so git never searches upward for a repository. Empty for
  /// commands that take no repository (clone, init).
  std::string git_dir;
  std::chrono::milliseconds timeout = kLocalTimeout;
  std::optional<std::string> stdin_data;
  /// Output beyond this is dropped and ProcessResult::output_truncated is set.
  size_t max_output_bytes = 16 * 1024 * 1024;
};

/// The environment every git child gets, and nothing else: PATH (from the parent, or a
/// default), LC_ALL=C (stable messages to classify), no system or global config
/// (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null, HOME=/dev/null), no prompts
/// (GIT_TERMINAL_PROMPT=0, GIT_ASKPASS/SSH_ASKPASS=/bin/true, ssh in BatchMode), an allow-list
/// of transports (GIT_ALLOW_PROTOCOL) and literal pathspecs. Exposed for tests that run helper
/// git commands under the same rules.
std::map<std::string, std::string> GitEnvironment();

/// The full argv: "git", the `-c` safety options (protocol.ext.allow=never, foreground gc, ...),
/// `--git-dir` when set, then `invocation.args`.
std::vector<std::string> GitArgv(const GitInvocation& invocation);

/// Runs git with GitArgv / GitEnvironment and stdin from `stdin_data` or /dev/null. A non-zero
/// exit is not an error: check ProcessResult. Errors: kNotFound when git is not installed;
/// kIo when the process cannot be started.
Result<ProcessResult> RunGit(const GitInvocation& invocation);

/// Like RunGit, but an unsuccessful exit becomes an error "WHAT: git says: STDERR" (kTimeout
/// when the deadline passed, kInternal otherwise: a local git command failing is unexpected).
Result<ProcessResult> RunGitChecked(const GitInvocation& invocation, std::string_view what);

/// The part of git's stderr worth showing a person: its non-empty lines without progress and
/// `hint:` advice, joined with "; ", capped at about 1000 characters.
std::string SummarizeStderr(std::string_view stderr_data);

/// Turns a failed command that talked to a remote (clone, fetch) into an Error with a code and
/// a hint a person can act on: kTimeout, kPermissionDenied (authentication required or
/// refused), kNotFound (no repository there), kUnavailable (host unreachable, or anything
/// else). `what` starts the message; credentials in `url` are redacted from git's output.
Error RemoteFailure(const ProcessResult& result, std::string_view what, std::string_view url);

}  // namespace yard::git
