#pragma once

// A "direct-tcpip" channel (ssh -L, ssh -W, an IDE's port forward) once its connection is
// made: bytes both ways between the channel and the socket, EOF passed on each way, closed
// when both directions are done.

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "ssh/channel.h"
#include "ssh/channel_pump.h"

namespace yard::ssh {

class ForwardChannel final : public Channel {
 public:
  /// `socket`: connected to the destination; made nonblocking here.
  ForwardChannel(ssh_channel channel, UniqueFd socket, std::string what);
  ~ForwardChannel() override;

  void Step() override;
  void AddInterest(std::map<int, short>& wanted) const override;
  bool finished() const override;
  void Hangup() override;

 private:
  static void OnClose(ssh_session, ssh_channel, void* self);

  ssh_channel channel_;
  ssh_channel_callbacks_struct callbacks_{};
  UniqueFd socket_;
  std::string what_;
  std::unique_ptr<ChannelPump> pump_;
  bool eof_sent_ = false;
  bool closing_ = false;
  bool client_closed_ = false;
};

}  // namespace yard::ssh
