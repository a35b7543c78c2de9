#pragma once

// What a session channel runs in its container, from the requests the client sent: pty-req
// and env first (collected in SessionSetup), then one of shell, exec or subsystem. The
// commands go through /bin/sh as sshd runs them through the user's shell; the images are
// the user's, so nothing here assumes more than a POSIX sh (and bash, when it is there).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "ssh/container_access.h"

namespace yard::ssh {

/// Where sftp-server lives in common base images (Debian and Ubuntu first, then Fedora and
/// RHEL, Arch and Alpine, the BSDs' layout).
inline constexpr std::string_view kSftpServerPaths[] = {
    "/usr/lib/openssh/sftp-server", "/usr/lib/sftp-server", "/usr/libexec/openssh/sftp-server",
    "/usr/libexec/sftp-server", "/usr/lib/ssh/sftp-server"};

/// The interactive shell: bash as a login shell when the image has it, else sh.
std::vector<std::string> ShellCommand();
/// An exec request's command, run by /bin/sh -c as sshd would run it.
std::vector<std::string> ExecCommand(std::string_view command);
/// The sftp subsystem: the first sftp-server found, or a message on stderr saying what to
/// install and exit status 127.
std::vector<std::string> SftpCommand();

/// The number of a signal a client may send (RFC 4254 names, without "SIG"): INT, TERM, HUP,
/// QUIT, KILL, USR1, USR2, ALRM. nullopt for any other.
std::optional<int> SignalNumber(std::string_view name);

struct EnvLimits {
  size_t max_variables = 64;
  size_t max_value_bytes = 4096;
};

/// Is `name` one a client may set: LANG, LANGUAGE, LC_*, COLORTERM, TZ (and GIT_PROTOCOL for
/// the git user)? Other variables could change what runs (PATH, LD_PRELOAD, BASH_ENV) or
/// pretend to come from the platform (STACKYARD_*).
bool EnvAllowed(std::string_view name, bool git_user);

/// What the client asked for before starting something: a terminal, and variables.
class SessionSetup {
 public:
  explicit SessionSetup(bool git_user = false, EnvLimits limits = {});

  /// pty-req. A TERM that is not a plain terminal name becomes "xterm"; sizes out of range
  /// become 24x80.
  void SetPty(std::string_view term, int rows, int cols);
  /// An env request. kInvalidArgument with the reason (for the log; the client only sees a
  /// failure reply) when the name is not allowed, the value too long or holds a NUL, or there
  /// are too many variables. Setting a name again replaces its value.
  Status SetEnv(std::string_view name, std::string_view value);

  bool tty() const { return tty_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  const std::string& term() const { return term_; }
  /// The client's variables, in the order first set.
  const std::vector<std::pair<std::string, std::string>>& env() const { return env_; }
  /// The git user's GIT_PROTOCOL ("version=2"), or empty.
  std::string git_protocol() const;

 private:
  bool git_user_;
  EnvLimits limits_;
  bool tty_ = false;
  int rows_ = 24;
  int cols_ = 80;
  std::string term_;
  std::vector<std::pair<std::string, std::string>> env_;
};

/// The request that starts the session's program.
struct SessionRequest {
  enum class Kind { kShell, kExec, kSubsystem };
  Kind kind = Kind::kShell;
  /// kExec: the command line; kSubsystem: the subsystem's name.
  std::string text;
};

/// The exec for a request in `container_id`: the command, TERM (with a pty), the client's
/// variables, then `added` (the gateway's own: SSH_CONNECTION, STACKYARD_USER, which win over
/// anything the client sent). A subsystem never gets a terminal: its protocol is binary.
/// kInvalidArgument for a subsystem other than sftp, with a message for the client.
Result<ExecRequest> MakeExecRequest(const SessionSetup& setup, const SessionRequest& request,
                                    const std::string& container_id,
                                    const std::vector<std::pair<std::string, std::string>>& added);

}  // namespace yard::ssh
