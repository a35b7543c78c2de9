#pragma once

// The "session" channel: what `ssh HOST`, `ssh HOST CMD`, sftp and scp open. It collects the
// client's requests (pty-req, env, window-change, signal), runs the shell, the command or the
// sftp server in the target container (or Git on the host for the git user), pumps the bytes
// and returns the exit status. Refusals reach the client on stderr with exit status 1, which
// every client shows, rather than as a bare "request failed".

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ssh/channel.h"
#include "ssh/channel_pump.h"
#include "ssh/session_command.h"
#include "ssh/session_process.h"

namespace yard::ssh {

class SessionChannel final : public Channel {
 public:
  SessionChannel(const ConnectionContext& context, ssh_channel channel);
  ~SessionChannel() override;

  void Step() override;
  void AddInterest(std::map<int, short>& wanted) const override;
  bool finished() const override;
  void Hangup() override;

 private:
  enum class State { kWaiting, kStarting, kRunning, kClosing, kDone };

  // libssh's channel callbacks: they record what the client asked; Step() acts on it, after
  // libssh has sent the request's reply.
  static int OnPty(ssh_session, ssh_channel, const char* term, int cols, int rows, int, int,
                   void* self);
  static int OnWindowChange(ssh_session, ssh_channel, int cols, int rows, int, int, void* self);
  static int OnEnv(ssh_session, ssh_channel, const char* name, const char* value, void* self);
  static int OnShell(ssh_session, ssh_channel, void* self);
  static int OnExec(ssh_session, ssh_channel, const char* command, void* self);
  static int OnSubsystem(ssh_session, ssh_channel, const char* subsystem, void* self);
  static void OnSignal(ssh_session, ssh_channel, const char* signal, void* self);
  static void OnClose(ssh_session, ssh_channel, void* self);
  int Requested(SessionRequest request);

  void Start();
  Result<std::unique_ptr<SessionProcess>> StartGit();
  Result<std::unique_ptr<SessionProcess>> StartInContainer();
  // Tells the client why nothing runs, and ends the channel with exit status `status`.
  void Refuse(const std::string& message, int status);
  void Finish(int exit_status);

  const ConnectionContext& context_;
  ssh_channel channel_;
  ssh_channel_callbacks_struct callbacks_{};

  SessionSetup setup_;
  std::optional<SessionRequest> request_;

  State state_ = State::kWaiting;
  bool client_closed_ = false;
  std::unique_ptr<SessionProcess> process_;
  std::unique_ptr<ChannelPump> pump_;
  std::string what_;  // for the log: "exec `ls` in web.dev.hello"
};

}  // namespace yard::ssh
