#include "ssh/session_channel.h"

#include <fmt/core.h>
#include <libssh/server.h>
#include <sys/socket.h>

#include "base/log.h"

namespace yard::ssh {
namespace {

SessionChannel* Self(void* self) { return static_cast<SessionChannel*>(self); }

std::string Describe(const SessionRequest& request, const std::string& where) {
  switch (request.kind) {
    case SessionRequest::Kind::kShell:
      return fmt::format("shell in {}", where);
    case SessionRequest::Kind::kExec:
      return fmt::format("exec `{}` in {}", request.text.substr(0, 200), where);
    case SessionRequest::Kind::kSubsystem:
      return fmt::format("{} in {}", request.text, where);
  }
  return where;
}

}  // namespace

SessionChannel::SessionChannel(const ConnectionContext& context, ssh_channel channel)
    : context_(context),
      channel_(channel),
      setup_(context.target.kind == SshTarget::Kind::kGit) {
  callbacks_.userdata = this;
  callbacks_.channel_pty_request_function = &OnPty;
  callbacks_.channel_pty_window_change_function = &OnWindowChange;
  callbacks_.channel_env_request_function = &OnEnv;
  callbacks_.channel_shell_request_function = &OnShell;
  callbacks_.channel_exec_request_function = &OnExec;
  callbacks_.channel_subsystem_request_function = &OnSubsystem;
  callbacks_.channel_signal_function = &OnSignal;
  callbacks_.channel_close_function = &OnClose;
  ssh_callbacks_init(&callbacks_);
  ssh_set_channel_callbacks(channel_, &callbacks_);
}

SessionChannel::~SessionChannel() {
  pump_.reset();
  if (process_) process_->Hangup();
  ssh_remove_channel_callbacks(channel_, &callbacks_);
  ssh_channel_free(channel_);
}

// ---- Requests -------------------------------------------------------------------------------

int SessionChannel::OnPty(ssh_session, ssh_channel, const char* term, int cols, int rows, int,
                          int, void* self) {
  auto* channel = Self(self);
  if (channel->request_) return 1;  // a terminal after the start is too late
  channel->setup_.SetPty(term ? term : "", rows, cols);
  return 0;
}

int SessionChannel::OnWindowChange(ssh_session, ssh_channel, int cols, int rows, int, int,
                                   void* self) {
  auto* channel = Self(self);
  if (channel->process_ && channel->setup_.tty()) channel->process_->Resize(rows, cols);
  if (!channel->request_) channel->setup_.SetPty(channel->setup_.term(), rows, cols);
  return 0;
}

int SessionChannel::OnEnv(ssh_session, ssh_channel, const char* name, const char* value,
                          void* self) {
  auto* channel = Self(self);
  if (channel->request_ || name == nullptr || value == nullptr) return 1;
  if (Status set = channel->setup_.SetEnv(name, value); !set) {
    log::Debug("ssh {}: env refused: {}", channel->context_.peer, set.error().message);
    return 1;
  }
  return 0;
}

int SessionChannel::OnShell(ssh_session, ssh_channel, void* self) {
  return Self(self)->Requested({.kind = SessionRequest::Kind::kShell});
}

int SessionChannel::OnExec(ssh_session, ssh_channel, const char* command, void* self) {
  return Self(self)->Requested(
      {.kind = SessionRequest::Kind::kExec, .text = command ? command : ""});
}

int SessionChannel::OnSubsystem(ssh_session, ssh_channel, const char* subsystem, void* self) {
  return Self(self)->Requested(
      {.kind = SessionRequest::Kind::kSubsystem, .text = subsystem ? subsystem : ""});
}

int SessionChannel::Requested(SessionRequest request) {
  // One program per channel, as in sshd.
  if (request_) return 1;
  request_ = std::move(request);
  state_ = State::kStarting;
  return 0;
}

void SessionChannel::OnSignal(ssh_session, ssh_channel, const char* signal, void* self) {
  auto* channel = Self(self);
  if (!channel->process_ || signal == nullptr) return;
  std::optional<int> number = SignalNumber(signal);
  if (!number) {
    log::Debug("ssh {}: signal {} refused", channel->context_.peer, signal);
    return;
  }
  if (Status sent = channel->process_->Signal(*number); !sent) {
    log::Debug("ssh {}: signal {}: {}", channel->context_.peer, signal, sent.error().message);
  }
}

void SessionChannel::OnClose(ssh_session, ssh_channel, void* self) {
  Self(self)->client_closed_ = true;
}

// ---- Running --------------------------------------------------------------------------------

void SessionChannel::Step() {
  if (client_closed_ && state_ != State::kDone) {
    // The client is gone: whatever runs loses its terminal, as under sshd.
    pump_.reset();
    if (process_) {
      process_->Hangup();
      log::Info("ssh {} ({}): {} hung up (the client closed the channel)", context_.peer,
                context_.account.name, what_);
    }
    process_.reset();
    state_ = State::kDone;
    return;
  }
  if (state_ == State::kStarting) Start();
  if (state_ != State::kRunning) return;
  pump_->Step();
  if (pump_->failed()) {
    Hangup();
    return;
  }
  if (!pump_->output_done()) return;
  // Output is over: the exit status follows, then EOF and close (the order sshd uses, which
  // clients wait for before they exit).
  Result<int> status = process_->Wait();
  if (!status) {
    log::Warn("ssh {}: {}: no exit status: {}", context_.peer, what_, status.error().message);
  }
  log::Info("ssh {} ({}): {} ended with {} ({} bytes in, {} out)", context_.peer,
            context_.account.name, what_, status ? *status : -1, pump_->bytes_in(),
            pump_->bytes_out());
  Finish(status ? *status : 255);
}

void SessionChannel::Start() {
  std::string where = context_.user_name;
  what_ = Describe(*request_, where);
  Result<std::unique_ptr<SessionProcess>> started =
      context_.target.kind == SshTarget::Kind::kGit ? StartGit() : StartInContainer();
  if (!started) {
    log::Info("ssh {} ({}): {} refused: {}", context_.peer, context_.account.name, what_,
              started.error().message);
    std::string message = started.error().message;
    if (message.rfind("yard: ", 0) != 0 && message.rfind("Hi ", 0) != 0) {
      message = "yard: " + message;
    }
    Refuse(message, context_.target.kind == SshTarget::Kind::kGit ? 128 : 1);
    return;
  }
  process_ = std::move(*started);
  ChannelPump::Ends ends{.in = process_->stdin_fd(),
                         .out = process_->stdout_fd(),
                         .err = process_->stderr_fd(),
                         .multiplexed = process_->multiplexed()};
  SessionProcess* process = process_.get();
  pump_ = std::make_unique<ChannelPump>(channel_, ends, [process] { process->CloseStdin(); });
  state_ = State::kRunning;
  log::Info("ssh {} ({}): {}", context_.peer, context_.account.name, what_);
}

Result<std::unique_ptr<SessionProcess>> SessionChannel::StartGit() {
  if (context_.git == nullptr) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "yard: Git over SSH is not enabled on this server");
  }
  if (request_->kind != SessionRequest::Kind::kExec) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("Hi {}! This is Stackyard's Git service: there is no shell "
                                  "here. Use it with git clone and git push; to reach a "
                                  "deployment, connect as DEPLOYMENT.PROJECT instead.",
                                  context_.account.name));
  }
  return context_.git->Start(context_.account, request_->text, setup_.git_protocol());
}

Result<std::unique_ptr<SessionProcess>> SessionChannel::StartInContainer() {
  Located located = TRY(context_.directory->Locate(context_.account, context_.target));
  what_ = Describe(*request_, located.service + "." + context_.target.deployment + "." +
                                  context_.target.project);
  std::vector<std::pair<std::string, std::string>> added = {
      {"SSH_CONNECTION", context_.ssh_connection},
      {"STACKYARD_USER", context_.account.name},
      {"STACKYARD_SERVICE", located.service}};
  ExecRequest exec = TRY(MakeExecRequest(setup_, *request_, located.container_id, added));
  return context_.containers->Exec(exec);
}

void SessionChannel::Refuse(const std::string& message, int status) {
  std::string text = message;
  if (text.empty() || text.back() != '\n') text += '\n';
  // Small enough for any window a client opens with (OpenSSH: 2 MB, at least 32 KB).
  ssh_channel_write_stderr(channel_, text.data(), static_cast<uint32_t>(text.size()));
  Finish(status);
}

void SessionChannel::Finish(int exit_status) {
  pump_.reset();
  process_.reset();
  ssh_channel_request_send_exit_status(channel_, exit_status);
  ssh_channel_send_eof(channel_);
  ssh_channel_close(channel_);
  state_ = State::kClosing;
}

void SessionChannel::AddInterest(std::map<int, short>& wanted) const {
  if (state_ == State::kRunning && pump_) pump_->AddInterest(wanted);
}

bool SessionChannel::finished() const {
  return state_ == State::kDone || (state_ == State::kClosing && ssh_channel_is_closed(channel_));
}

void SessionChannel::Hangup() {
  pump_.reset();
  if (process_) {
    process_->Hangup();
    log::Info("ssh {} ({}): {} cut off", context_.peer, context_.account.name, what_);
  }
  process_.reset();
  if (state_ != State::kDone && state_ != State::kClosing && ssh_channel_is_open(channel_)) {
    ssh_channel_close(channel_);
    state_ = State::kClosing;
  } else {
    state_ = State::kDone;
  }
}

}  // namespace yard::ssh
