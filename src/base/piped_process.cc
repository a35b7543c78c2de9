#include "base/piped_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

namespace yard {
namespace {

// Both ends close-on-exec from birth (another thread may fork at any moment); only our end
// becomes nonblocking: O_NONBLOCK belongs to the open file description, and the child's end
// is a separate one, so the child sees ordinary blocking pipes.
Status MakePipe(UniqueFd& read_end, UniqueFd& write_end, bool ours_is_read_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Unexpected(ErrorCode::kIo, "pipe: " + std::generic_category().message(errno));
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  int ours = ours_is_read_end ? fds[0] : fds[1];
  fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK);
  return Ok();
}

}  // namespace

Result<PipedProcess> PipedProcess::Start(const ProcessOptions& options) {
  UniqueFd in_read, in_write, out_read, out_write, err_read, err_write;
  TRY(MakePipe(in_read, in_write, /*ours_is_read_end=*/false));
  TRY(MakePipe(out_read, out_write, /*ours_is_read_end=*/true));
  TRY(MakePipe(err_read, err_write, /*ours_is_read_end=*/true));
  Subprocess::Spawn spawn{.options = options};
  spawn.stdin_fd = in_read.get();
  spawn.stdout_fd = out_write.get();
  spawn.stderr_fd = err_write.get();
  Subprocess process = TRY(Subprocess::Start(spawn));
  // The child's ends are closed here, so that EOF on stdout means the child (and whatever it
  // started) is done writing.
  return PipedProcess(std::move(process), std::move(in_write), std::move(out_read),
                      std::move(err_read));
}

PipedProcess& PipedProcess::operator=(PipedProcess&& other) noexcept {
  if (this != &other) {
    if (process_.Running()) process_.Terminate(std::chrono::milliseconds(0));
    process_ = std::move(other.process_);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
  }
  return *this;
}

PipedProcess::~PipedProcess() {
  // No grace here: a caller that wants one sends SIGTERM and Waits first. Subprocess's own
  // destructor would wait five seconds.
  if (process_.Running()) process_.Terminate(std::chrono::milliseconds(0));
}

Result<int> PipedProcess::Wait(std::chrono::milliseconds timeout) {
  ProcessResult result = TRY(process_.Wait(timeout));
  if (result.term_signal != 0) return 128 + result.term_signal;
  return result.exit_code;
}

void PipedProcess::Kill(int signal) {
  // Running() reaps an exited child first: a reaped pid may belong to someone else by now.
  if (process_.Running()) ::kill(-process_.pid(), signal);
}

}  // namespace yard
