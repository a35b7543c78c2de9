#include "ssh/forward_channel.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "base/log.h"

namespace yard::ssh {

ForwardChannel::ForwardChannel(ssh_channel channel, UniqueFd socket, std::string what)
    : channel_(channel), socket_(std::move(socket)), what_(std::move(what)) {
  ::fcntl(socket_.get(), F_SETFL, ::fcntl(socket_.get(), F_GETFL) | O_NONBLOCK);
  int fd = socket_.get();
  pump_ = std::make_unique<ChannelPump>(
      channel_, ChannelPump::Ends{.in = fd, .out = fd},
      [fd] { ::shutdown(fd, SHUT_WR); });
  callbacks_.userdata = this;
  callbacks_.channel_close_function = &OnClose;
  ssh_callbacks_init(&callbacks_);
  ssh_set_channel_callbacks(channel_, &callbacks_);
}

ForwardChannel::~ForwardChannel() {
  pump_.reset();
  ssh_remove_channel_callbacks(channel_, &callbacks_);
  ssh_channel_free(channel_);
}

void ForwardChannel::OnClose(ssh_session, ssh_channel, void* self) {
  static_cast<ForwardChannel*>(self)->client_closed_ = true;
}

void ForwardChannel::Step() {
  if (client_closed_ || closing_) return;
  pump_->Step();
  if (pump_->failed()) {
    Hangup();
    return;
  }
  if (pump_->output_done() && !eof_sent_) {
    ssh_channel_send_eof(channel_);
    eof_sent_ = true;
  }
  if (eof_sent_ && pump_->input_done()) {
    log::Debug("ssh: {} done ({} bytes in, {} out)", what_, pump_->bytes_in(), pump_->bytes_out());
    ssh_channel_close(channel_);
    closing_ = true;
  }
}

void ForwardChannel::AddInterest(std::map<int, short>& wanted) const {
  if (!client_closed_ && !closing_) pump_->AddInterest(wanted);
}

bool ForwardChannel::finished() const {
  return client_closed_ || (closing_ && ssh_channel_is_closed(channel_));
}

void ForwardChannel::Hangup() {
  if (!closing_ && !client_closed_ && ssh_channel_is_open(channel_)) ssh_channel_close(channel_);
  closing_ = true;
}

}  // namespace yard::ssh
