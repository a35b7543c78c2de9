#include "ssh/channel_pump.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace yard::ssh {
namespace {

// One SSH packet's worth: libssh sends at most this much per CHANNEL_DATA message.
constexpr size_t kChunk = 32 * 1024;
// Client bytes held for a process that is not reading; past this, reading from the channel
// stops and the client's window closes.
constexpr size_t kInputBuffer = 64 * 1024;

}  // namespace

ChannelPump::ChannelPump(ssh_channel channel, Ends ends, std::function<void()> close_input)
    : channel_(channel), ends_(ends), close_input_(std::move(close_input)) {
  if (ends_.out < 0) out_eof_ = true;
  if (ends_.err < 0) err_eof_ = true;
}

void ChannelPump::Step() {
  if (failed_) return;
  if (!ssh_channel_is_open(channel_)) {
    failed_ = true;
    return;
  }
  PumpInput();
  PumpOutput();
}

void ChannelPump::PumpInput() {
  while (!input_closed_) {
    if (ends_.in < 0) to_process_.clear();  // nothing reads the client's input: drop it
    // Pass on what was read before.
    while (!to_process_.empty()) {
      ssize_t n = ::send(ends_.in, to_process_.data(), to_process_.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == ENOTSOCK) n = ::write(ends_.in, to_process_.data(), to_process_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          in_blocked_ = true;
          return;
        }
        // The process closed its input (it exited, or does not read): drop what it will
        // never read, as sshd does, and stop reading from the client.
        to_process_.clear();
        client_eof_ = true;
        break;
      }
      in_blocked_ = false;
      to_process_.erase(0, static_cast<size_t>(n));
    }
    if (client_eof_) {
      input_closed_ = true;
      if (close_input_) close_input_();
      return;
    }
    int available = ssh_channel_poll(channel_, 0);
    if (available == SSH_EOF) {
      client_eof_ = true;
      continue;
    }
    if (available == SSH_ERROR) {
      failed_ = true;
      return;
    }
    if (available <= 0) return;
    char buffer[kInputBuffer];
    uint32_t want = static_cast<uint32_t>(std::min<size_t>(available, sizeof(buffer)));
    int n = ssh_channel_read_nonblocking(channel_, buffer, want, 0);
    if (n == SSH_ERROR) {
      failed_ = true;
      return;
    }
    if (n <= 0) return;
    bytes_in_ += static_cast<uint64_t>(n);
    to_process_.append(buffer, static_cast<size_t>(n));
  }
}

bool ChannelPump::SendPending() {
  while (!pending_.empty()) {
    Chunk& chunk = pending_.front();
    // Never write into a closed window: libssh would wait for it by handling packets.
    uint32_t window = ssh_channel_window_size(channel_);
    if (window == 0) return false;
    size_t left = chunk.data.size() - chunk.sent;
    uint32_t size = static_cast<uint32_t>(std::min<size_t>({left, window, kChunk}));
    int n = chunk.stderr_data
                ? ssh_channel_write_stderr(channel_, chunk.data.data() + chunk.sent, size)
                : ssh_channel_write(channel_, chunk.data.data() + chunk.sent, size);
    if (n == SSH_ERROR) {
      failed_ = true;
      return false;
    }
    if (n == 0) return false;
    bytes_out_ += static_cast<uint64_t>(n);
    chunk.sent += static_cast<size_t>(n);
    if (chunk.sent == chunk.data.size()) pending_.pop_front();
  }
  return true;
}

bool ChannelPump::ReadOutput(int fd, bool is_stderr) {
  char buffer[kChunk];
  size_t room = std::min<size_t>(sizeof(buffer), ssh_channel_window_size(channel_));
  if (room == 0) return true;
  ssize_t n = ::read(fd, buffer, room);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
    return false;  // a reset attach socket or a broken pipe: the output is over
  }
  if (n == 0) return false;
  std::string_view bytes(buffer, static_cast<size_t>(n));
  if (ends_.multiplexed && fd == ends_.out) {
    std::vector<runtime::docker::Frame> frames;
    frames_.Feed(bytes, frames);
    for (auto& frame : frames) {
      if (frame.data.empty()) continue;
      pending_.push_back({.stderr_data = frame.stream == 2, .data = std::move(frame.data)});
    }
  } else {
    pending_.push_back({.stderr_data = is_stderr, .data = std::string(bytes)});
  }
  return true;
}

void ChannelPump::PumpOutput() {
  // Output is read only once what was read before is sent: at most one read's worth waits.
  while (SendPending() && !failed_) {
    bool progressed = false;
    if (!out_eof_) {
      size_t before = pending_.size();
      if (!ReadOutput(ends_.out, false)) out_eof_ = true;
      progressed = out_eof_ || pending_.size() != before;
    }
    if (!err_eof_ && pending_.empty()) {
      size_t before = pending_.size();
      if (!ReadOutput(ends_.err, true)) err_eof_ = true;
      progressed = progressed || err_eof_ || pending_.size() != before;
    }
    if (!progressed || (out_eof_ && err_eof_ && pending_.empty())) break;
  }
}

void ChannelPump::AddInterest(std::map<int, short>& wanted) const {
  if (failed_) return;
  if (!input_closed_ && in_blocked_ && ends_.in >= 0) wanted[ends_.in] |= POLLOUT;
  // Read the process only when its output can go on: nothing pending and an open window.
  bool can_send = pending_.empty() && ssh_channel_window_size(channel_) > 0;
  if (can_send && !out_eof_) wanted[ends_.out] |= POLLIN;
  if (can_send && !err_eof_) wanted[ends_.err] |= POLLIN;
}

bool ChannelPump::output_done() const { return out_eof_ && err_eof_ && pending_.empty(); }

}  // namespace yard::ssh
