#pragma once

// Integration-test harness: the real `yard` binary, started and driven the way users do.
//
//   auto server = YardServer::Start();
//   ASSERT_TRUE(server) << server.error().message;
//   ProcessResult whoami = RunYard({"whoami", "--server", (*server)->url(), "--token",
//                                   (*server)->admin_token()});
//
// The binary's path comes from the compile definition YARD_BINARY of the test target
// (tests/CMakeLists.txt sets it to $<TARGET_FILE:yard>); this header registers it.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/piped_process.h"
#include "base/process.h"
#include "base/result.h"
#include "testing/temp_dir.h"

namespace yard::testing {

namespace internal {
/// Records the path of the yard binary; called from this header in test targets that define
/// YARD_BINARY. Returns true.
bool RegisterYardBinary(const char* path);
#ifdef YARD_BINARY
inline const bool kYardBinaryRegistered = RegisterYardBinary(YARD_BINARY);
#endif
}  // namespace internal

/// A TCP port on 127.0.0.1 that is free right now.
Result<int> FreePort();

/// Ends every process whose command line contains `text` (a test's own data dir): SIGTERM,
/// then SIGKILL for what is left after 10 s. The last safety net for a killed server's
/// children.
void KillProcessesNaming(const std::string& text);

/// The yard binary under test; kFailedPrecondition when the test target lacks YARD_BINARY.
Result<std::string> YardBinary();

/// A `yard server` child process on 127.0.0.1 with a port picked by the kernel. The
/// destructor kills it, so a failing test never leaves a server behind.
class YardServer {
 public:
  struct Options {
    /// Arguments after `server --data-dir DIR --api 127.0.0.1:0`, e.g. {"--request-timeout", "1"}.
    std::vector<std::string> extra_args;
    /// Use this data dir (e.g. that of a stopped server) instead of a fresh one.
    std::string data_dir;
    /// How long to wait for server.json.
    std::chrono::milliseconds ready_timeout{20000};
  };

  /// Starts the server and waits until it has written server.json (with its own pid) and
  /// admin.token. On failure the error message holds the server's log.
  static Result<std::unique_ptr<YardServer>> Start(Options options);
  static Result<std::unique_ptr<YardServer>> Start() { return Start(Options()); }

  ~YardServer();
  YardServer(const YardServer&) = delete;
  YardServer& operator=(const YardServer&) = delete;

  /// "http://127.0.0.1:PORT", from server.json.
  const std::string& url() const { return url_; }
  uint16_t port() const { return port_; }
  /// The edge's ports (0 when the test passed its own --https-port).
  int http_port() const { return http_port_; }
  int https_port() const { return https_port_; }
  /// The SSH gateway's port (0 when it is off).
  int ssh_port() const { return ssh_port_; }
  /// DATA_DIR/ca.pem: the root of the edge's internal CA, once it exists.
  std::string ca_path() const { return data_dir_ + "/ca.pem"; }
  /// The admin token read from admin.token at start, without the newline.
  const std::string& admin_token() const { return admin_token_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string server_json_path() const { return data_dir_ + "/server.json"; }
  std::string admin_token_path() const { return data_dir_ + "/admin.token"; }
  pid_t pid() const { return process_.pid(); }
  /// Everything the server wrote to stdout and stderr so far.
  std::string log() const;
  const std::string& log_path() const { return log_path_; }

  /// True while the process runs (reaps it when it has exited).
  bool Running() { return process_.Running(); }
  /// Sends `signal` to the server process (not its group).
  void Signal(int signal);
  /// Waits up to `timeout` for the server to exit. kTimeout if it still runs.
  Result<ProcessResult> Wait(std::chrono::milliseconds timeout);
  /// SIGTERM, then waits up to `timeout`; if the server is still running then it is killed and
  /// the result has timed_out set.
  ProcessResult Stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  YardServer(std::unique_ptr<TempDir> temp, std::string data_dir, Subprocess process);

  std::unique_ptr<TempDir> temp_;
  std::string data_dir_;
  std::string log_path_;
  Subprocess process_;
  std::string url_;
  uint16_t port_ = 0;
  int http_port_ = 0;
  int https_port_ = 0;
  int ssh_port_ = 0;
  std::string admin_token_;
};

/// A temp directory used as HOME and XDG_CONFIG_HOME by RunYard during the current test; it is
/// removed when the test ends, so every test (and every repetition) starts logged out.
const std::string& ClientHome();

/// Runs the yard client (or any yard subcommand) to completion with a 30 s timeout. By default
/// HOME, XDG_CONFIG_HOME and XDG_DATA_HOME point into ClientHome() and YARD_SERVER / YARD_TOKEN
/// are emptied, so tests never see the real user's login; `env` overrides any of these. If the
/// process cannot be run at all, the result has exit_code -1 and the reason in stderr_data.
ProcessResult RunYard(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                      std::optional<std::string> stdin_data = {});

/// RunYard with another timeout, for commands that wait (builds, `--wait`).
ProcessResult RunYardFor(std::chrono::milliseconds timeout, std::vector<std::string> args);

/// Starts `yard ARGS` in RunYard's environment without waiting for it: for commands that
/// follow (`logs -f`, `events -f`). The caller reads its output and stops it; the destructor
/// kills one still running, so it never outlives the test.
Result<PipedProcess> StartYard(std::vector<std::string> args);

/// The config file `yard login` writes for RunYard's default environment.
std::string ClientConfigPath();

/// Runs any program (e.g. ssh-keygen) with a 30 s timeout; like RunYard on failure to start.
ProcessResult RunTool(std::vector<std::string> argv, std::optional<std::string> stdin_data = {});

}  // namespace yard::testing
