#pragma once

// The server's own Caddy: `caddy run` with its admin API on a unix socket in DATA_DIR/edge,
// started, watched and restarted by the server, configured through POST /load.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/supervised_process.h"
#include "edge/certificates.h"

namespace yard::edge {

struct CaddyOptions {
  /// DATA_DIR/edge: the admin socket caddy.sock, the storage dir storage/ (certificates, the
  /// internal CA), the last good config caddy.json, Caddy's output caddy.log, caddy.pid, and
  /// home/ for HOME and the XDG dirs, so that nothing goes to the real home.
  std::string dir;
  /// The caddy program (looked up in PATH).
  std::string caddy = "caddy";
  /// How long Start waits for the admin API to answer.
  std::chrono::milliseconds start_timeout = std::chrono::seconds(20);
  /// Delays between restarts of a Caddy that keeps exiting: doubling from min to max, back to
  /// min once it has run for `healthy_after`.
  std::chrono::milliseconds min_backoff = std::chrono::seconds(1);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(30);
  std::chrono::milliseconds healthy_after = std::chrono::seconds(60);
  /// Caddy gets SIGKILL when its supervisor ends, even without Stop (the whole server killed).
  /// For test harnesses; a server leaves it off, so that sites keep answering while the server
  /// itself restarts (the next Start ends the old Caddy).
  bool die_with_parent = false;
};

/// Runs and supervises `caddy run --config DIR/caddy.json`. Every config Caddy accepts through
/// Load is saved there, so a Caddy restarted by the supervisor (or by the next server) serves
/// the last good routes before anyone loads them again. Caddy's output is appended to
/// DIR/caddy.log (copied to caddy.log.1 and truncated past 10 MiB) and read back for
/// certificate errors. Thread-safe.
class CaddyProcess {
 public:
  explicit CaddyProcess(CaddyOptions options);
  /// Stops Caddy if it runs.
  ~CaddyProcess();
  CaddyProcess(const CaddyProcess&) = delete;
  CaddyProcess& operator=(const CaddyProcess&) = delete;

  /// Creates the dir, writes a minimal config (admin API and storage only) if none was saved,
  /// ends a Caddy a previous server left running for this dir, starts Caddy and waits until
  /// its admin API answers, then supervises it. A saved config Caddy exits on (a port taken
  /// since, a Caddy upgrade that refuses it) is moved to caddy.json.rejected and Caddy starts
  /// with the minimal one: the caller loads its routes next anyway.
  /// Errors: kNotFound when caddy is missing; kInvalidArgument when the socket path is too
  /// long for a unix socket; kUnavailable when Caddy exits before answering and kTimeout when
  /// it does not answer within start_timeout (both with the end of its log);
  /// kFailedPrecondition when already started.
  Status Start();

  /// Replaces Caddy's whole config (POST /load) and saves it as DIR/caddy.json. The config
  /// must keep the admin API on admin_socket() and the storage at storage_dir() (as
  /// CaddyConfig makes it). Loads are serialized.
  /// Errors: kInvalidArgument when Caddy refuses the config, with its message (it keeps
  /// serving the previous one) or when the config moves the admin API or the storage;
  /// kUnavailable when Caddy cannot be reached (restarting: retry); kFailedPrecondition when
  /// not started; kIo when the accepted config cannot be saved (Caddy runs it, but a restart
  /// would not: retry).
  Status Load(const nlohmann::json& config);

  /// Stops supervising and ends Caddy (SIGTERM, SIGKILL after a grace period). Idempotent.
  void Stop();

  /// The last error Caddy logged while obtaining `host`'s certificate, until it obtains one.
  std::optional<std::string> CertificateError(const std::string& host) const;

  const std::string& dir() const { return dir_; }
  const std::string& admin_socket() const { return socket_path_; }
  const std::string& storage_dir() const { return storage_dir_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& pid_path() const { return pid_path_; }
  /// The running Caddy's pid, or -1.
  pid_t pid();
  /// How many times the supervisor has restarted Caddy.
  int restarts();

 private:
  void Tail(std::stop_token stop);
  void ReadLog(std::string& partial);
  void Feed(std::string_view bytes, std::string& partial);
  void Observe(std::string_view line);
  void RotateLog(std::string& partial);
  Status WriteMinimalConfig();

  CaddyOptions options_;
  std::string dir_;
  std::string socket_path_;
  std::string storage_dir_;
  std::string config_path_;
  std::string log_path_;
  std::string pid_path_;
  std::string home_;

  SupervisedProcess process_;

  std::mutex load_mutex_;

  mutable std::mutex errors_mutex_;
  CertificateErrors errors_;      // guarded by errors_mutex_
  std::set<std::string> warned_;  // guarded by errors_mutex_: hosts whose error was logged

  std::mutex tail_mutex_;
  std::condition_variable_any tail_wake_;
  int64_t log_offset_ = 0;  // only the tail thread uses it once started
  std::jthread tailer_;
};

/// Ends the Caddy a server on `dir` (DATA_DIR/edge) left running, found by DIR/caddy.pid and
/// only if that process runs our config. Waits for it to exit (SIGTERM, then SIGKILL). No-op
/// when there is none.
void EndLeftoverCaddy(const std::string& dir);

}  // namespace yard::edge
