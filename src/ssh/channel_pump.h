#pragma once

// Moves bytes between one SSH channel and the descriptors of what serves it (a process's
// stdin/stdout/stderr, an attach socket, a forwarded TCP connection), both ways, never
// blocking, with backpressure both ways:
// - client -> process: channel data is read from libssh only while the bytes already read
//   can be written on; libssh grows the client's window only as it is read, so a process
//   that does not read stalls the client, not the gateway's memory;
// - process -> client: the process's output is read only while the client's window is open
//   and everything read before has been sent.
// The connection's event loop calls Step() after each round and polls for Interest().

#include <libssh/libssh.h>

#include <deque>
#include <functional>
#include <map>
#include <string>

#include "runtime/docker_stream.h"

namespace yard::ssh {

class ChannelPump {
 public:
  struct Ends {
    int in = -1;               // client data is written here; may equal `out`
    int out = -1;              // read and sent as channel data
    int err = -1;              // read and sent as extended (stderr) data; -1: none
    bool multiplexed = false;  // `out` carries Docker's stdout/stderr frames
  };

  /// `close_input` runs once, when the client's EOF has reached `in` (after every byte).
  ChannelPump(ssh_channel channel, Ends ends, std::function<void()> close_input);

  /// Moves whatever can move now. libssh may run callbacks of this connection from inside
  /// (its writes and reads handle packets); they must only record what happened.
  void Step();
  /// Adds the poll events this pump waits for, per descriptor (or-ed with others' wishes).
  void AddInterest(std::map<int, short>& wanted) const;

  /// Every byte of output (both streams) was read to EOF and sent.
  bool output_done() const;
  /// The client's EOF was passed on.
  bool input_done() const { return input_closed_; }
  /// The channel failed (closed under us, or the session broke).
  bool failed() const { return failed_; }
  /// Bytes moved, for the log.
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }

 private:
  struct Chunk {
    bool stderr_data = false;
    std::string data;
    size_t sent = 0;
  };

  void PumpInput();
  void PumpOutput();
  // Reads from `fd` into pending_; false at EOF or on error (the end is then done).
  bool ReadOutput(int fd, bool is_stderr);
  bool SendPending();

  ssh_channel channel_;
  Ends ends_;
  std::function<void()> close_input_;

  // Client -> process.
  std::string to_process_;
  bool client_eof_ = false;
  bool input_closed_ = false;
  bool in_blocked_ = false;  // the last write would have blocked: wait for POLLOUT

  // Process -> client.
  runtime::docker::FrameDecoder frames_;
  std::deque<Chunk> pending_;
  bool out_eof_ = false;
  bool err_eof_ = false;

  bool failed_ = false;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace yard::ssh
