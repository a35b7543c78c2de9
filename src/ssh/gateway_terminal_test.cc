// What a session passes on besides bytes: a terminal's new size, the client's signals, and the
// client's going away. The OpenSSH client drives the terminal from a pseudo-terminal this test
// owns; signals and closing a channel mid-command need a client that does them on cue, so
// those tests use libssh's client. The deployment side is the local-process fake.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "ssh/gateway_test_fixture.h"

namespace yard::ssh {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Deadline = std::chrono::steady_clock::time_point;

Deadline After(std::chrono::milliseconds limit) { return std::chrono::steady_clock::now() + limit; }

int MillisecondsLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// A program on a terminal that the test is: the test holds the pty's master side, so it sees
// what the program shows, types into it, and changes the window's size as a terminal
// emulator does (the kernel then sends SIGWINCH to the program).
class TerminalProgram {
 public:
  TerminalProgram(const std::vector<std::string>& argv, int rows, int cols) {
    // Built before fork: the child of a threaded process may only exec.
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    winsize size{};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a test binary that aborts
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~TerminalProgram() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  TerminalProgram(const TerminalProgram&) = delete;
  TerminalProgram& operator=(const TerminalProgram&) = delete;

  bool started() const { return pid_ > 0 && master_ >= 0; }
  pid_t pid() const { return pid_; }
  /// Everything the program has shown so far.
  const std::string& screen() const { return screen_; }

  /// Reads until `done(screen())` holds, the terminal closes, or `limit` passes.
  template <typename Predicate>
  bool WaitUntil(Predicate done, std::chrono::milliseconds limit) {
    Deadline deadline = After(limit);
    while (!done(screen_)) {
      if (closed_ || !ReadSome(deadline)) return done(screen_);
    }
    return true;
  }
  bool WaitFor(const std::string& text, std::chrono::milliseconds limit) {
    return WaitUntil(
        [&](const std::string& shown) { return shown.find(text) != std::string::npos; }, limit);
  }

  void Type(std::string_view keys) { (void)!::write(master_, keys.data(), keys.size()); }

  void Resize(int rows, int cols) {
    winsize size{};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    ::ioctl(master_, TIOCSWINSZ, &size);
  }

  /// Reads until the program closes its terminal and waits for it; its exit code, or -1 when
  /// it did not end within `limit` or was killed.
  int Finish(std::chrono::milliseconds limit) {
    Deadline deadline = After(limit);
    while (!closed_ && ReadSome(deadline)) {
    }
    while (true) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (done < 0 || MillisecondsLeft(deadline) == 0) return -1;
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  // One read, waiting at most until `deadline`; false when the deadline passed or the
  // terminal closed (EIO on the master once the program's side is closed).
  bool ReadSome(Deadline deadline) {
    pollfd poll_fd{.fd = master_, .events = POLLIN, .revents = 0};
    int ready = ::poll(&poll_fd, 1, MillisecondsLeft(deadline));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(master_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    screen_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  bool closed_ = false;
  std::string screen_;
};

// The last "ROWS COLS" line `stty size` printed in `shown`, if any.
std::optional<std::string> LastSize(const std::string& shown) {
  static const std::regex kSize("([0-9]+ [0-9]+)\r\n");
  std::optional<std::string> last;
  for (auto it = std::sregex_iterator(shown.begin(), shown.end(), kSize);
       it != std::sregex_iterator(); ++it) {
    last = (*it)[1].str();
  }
  return last;
}

// A libssh client: one connection, one session channel on it.
class LibsshClient {
 public:
  LibsshClient() : session_(ssh_new()) {}
  ~LibsshClient() {
    if (channel_ != nullptr) ssh_channel_free(channel_);
    if (session_ != nullptr) {
      ssh_disconnect(session_);
      ssh_free(session_);
    }
  }
  LibsshClient(const LibsshClient&) = delete;
  LibsshClient& operator=(const LibsshClient&) = delete;

  /// Connects to the gateway on loopback as `user`, checks its host key against
  /// `known_hosts`, signs with the private key at `key_path`, and opens a session channel.
  Status Connect(int port, const std::string& known_hosts, const std::string& user,
                 const std::string& key_path) {
    unsigned int port_option = static_cast<unsigned int>(port);
    long timeout_seconds = 30;  // bounds every blocking call of the client
    bool read_config = false;   // the user's ~/.ssh/config has no say in a test
    ssh_options_set(session_, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(session_, SSH_OPTIONS_PORT, &port_option);
    ssh_options_set(session_, SSH_OPTIONS_USER, user.c_str());
    ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout_seconds);
    ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &read_config);
    ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str());
    ssh_options_set(session_, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, known_hosts.c_str());
    if (ssh_connect(session_) != SSH_OK) return Failed("connect");
    if (ssh_session_is_known_server(session_) != SSH_KNOWN_HOSTS_OK) {
      return Failed("the gateway's host key is not the one known");
    }
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(key_path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      return Unexpected(ErrorCode::kIo, "cannot read the key " + key_path);
    }
    int auth = ssh_userauth_publickey(session_, nullptr, key);
    ssh_key_free(key);
    if (auth != SSH_AUTH_SUCCESS) return Failed("publickey authentication");
    channel_ = ssh_channel_new(session_);
    if (channel_ == nullptr || ssh_channel_open_session(channel_) != SSH_OK) {
      return Failed("opening a session channel");
    }
    return Ok();
  }

  Status Exec(const std::string& command) {
    if (ssh_channel_request_exec(channel_, command.c_str()) != SSH_OK) return Failed("exec");
    return Ok();
  }

  Status Signal(const char* name) {
    if (ssh_channel_request_send_signal(channel_, name) != SSH_OK) return Failed("signal");
    return Ok();
  }

  /// Reads the command's output until it holds `text`, the channel ends, or `limit` passes.
  bool ReadUntil(const std::string& text, std::chrono::milliseconds limit) {
    Deadline deadline = After(limit);
    while (output_.find(text) == std::string::npos) {
      if (!ReadSome(deadline)) return output_.find(text) != std::string::npos;
    }
    return true;
  }

  /// Reads the output to EOF; false when it did not come within `limit`.
  bool ReadToEnd(std::chrono::milliseconds limit) {
    Deadline deadline = After(limit);
    while (ReadSome(deadline)) {
    }
    return ssh_channel_is_eof(channel_) != 0;
  }

  /// The exit status the gateway sent, -1 without one.
  int ExitStatus() { return ssh_channel_get_exit_status(channel_); }

  /// Closes the channel (SSH_MSG_CHANNEL_CLOSE), keeping the connection.
  void CloseChannel() { ssh_channel_close(channel_); }

  /// Cuts the connection without a word (no channel close, no disconnect message), as a
  /// client that dies does.
  void Drop() { ::shutdown(ssh_get_fd(session_), SHUT_RDWR); }

  const std::string& output() const { return output_; }

 private:
  Status Failed(const std::string& what) {
    return Unexpected(ErrorCode::kIo, what + ": " + ssh_get_error(session_));
  }

  // One read of stdout (and of stderr, which joins it for messages), waiting at most until
  // `deadline`; false once the deadline passed, at EOF, or on an error.
  bool ReadSome(Deadline deadline) {
    char buffer[4096];
    int left = MillisecondsLeft(deadline);
    if (left == 0) return false;
    int n = ssh_channel_read_timeout(channel_, buffer, sizeof(buffer), 0, std::min(left, 200));
    if (n == SSH_ERROR) return false;
    if (n > 0) output_.append(buffer, static_cast<size_t>(n));
    int errors = ssh_channel_read_nonblocking(channel_, buffer, sizeof(buffer), 1);
    if (errors > 0) output_.append(buffer, static_cast<size_t>(errors));
    return !(n == 0 && ssh_channel_is_eof(channel_));
  }

  ssh_session session_;
  ssh_channel channel_ = nullptr;
  std::string output_;
};

class GatewayTerminalTest : public GatewayTest {
 protected:
  // A libssh client of alice's with `command` running in dev.shop.
  void StartCommand(LibsshClient& client, const std::string& command) {
    Status connected = client.Connect(gateway_->port(), known_hosts_, "dev.shop", alice_.path);
    ASSERT_TRUE(connected) << connected.error().message;
    Status started = client.Exec(command);
    ASSERT_TRUE(started) << started.error().message;
  }

  // Starts a command that runs until it is ended and returns its pid: the shell the fake
  // started ($$), the leader of the command's process group.
  pid_t StartEndlessCommand(LibsshClient& client, const std::string& pid_file) {
    StartCommand(client, "echo $$ > " + pid_file + "; echo ready; while :; do sleep 0.1; done");
    if (::testing::Test::HasFatalFailure()) return -1;
    EXPECT_TRUE(client.ReadUntil("ready\n", 60s)) << client.output();
    auto text = fs::ReadFile(pid_file);
    if (!text) return -1;
    pid_t pid = std::stoi(*text);
    EXPECT_EQ(::kill(pid, 0), 0) << "the command should still run";
    return pid;
  }

  // Whether process `pid` (a child of this test binary: the fake runs commands as its own
  // children, and reaps them) is gone within `limit`.
  static bool GoneWithin(pid_t pid, std::chrono::milliseconds limit) {
    Deadline deadline = After(limit);
    while (::kill(pid, 0) == 0 || errno != ESRCH) {
      if (MillisecondsLeft(deadline) == 0) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }
};

TEST_F(GatewayTerminalTest, AResizedWindowReachesTheSession) {
  StartGateway();
  // -e none: no escape character, so that typed keys reach the session as they are.
  std::vector<std::string> argv = SshArgv(alice_, "dev.shop", {"-tt", "-e", "none"});
  argv.push_back("stty size; while read line; do stty size; done");
  TerminalProgram ssh(argv, 30, 100);
  ASSERT_TRUE(ssh.started());
  ASSERT_TRUE(ssh.WaitFor("30 100\r\n", 60s)) << ssh.screen();
  ASSERT_FALSE(access_.requests().empty());
  EXPECT_TRUE(access_.requests().back().tty);
  EXPECT_EQ(access_.requests().back().rows, 30);
  EXPECT_EQ(access_.requests().back().cols, 100);

  ssh.Resize(40, 120);
  // ssh may take the typed line before it handles its SIGWINCH (a signal that arrives while
  // its terminal is already readable stays pending until its next poll), and then the line
  // overtakes the window change. So each line asks for the size again, until the new one
  // shows; a gateway that drops window changes never shows it.
  std::optional<std::string> size;
  for (int line = 0; line < 10 && size != "40 120"; ++line) {
    if (line > 0) ::kill(ssh.pid(), SIGWINCH);  // in case the first signal went missing
    size_t shown = ssh.screen().size();
    ssh.Type("\n");
    ASSERT_TRUE(ssh.WaitUntil(
        [&](const std::string& screen) {
          size = LastSize(screen.substr(shown));
          return size.has_value();
        },
        60s))
        << ssh.screen();
  }
  EXPECT_EQ(size, "40 120") << ssh.screen();

  ssh.Type("\x04");  // ^D: the end of input at the start of a line ends the loop
  EXPECT_EQ(ssh.Finish(60s), 0) << ssh.screen();
}

TEST_F(GatewayTerminalTest, ASignalReachesTheCommand) {
  StartGateway();
  LibsshClient client;
  ASSERT_NO_FATAL_FAILURE(StartCommand(
      client, "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done"));
  ASSERT_TRUE(client.ReadUntil("ready\n", 60s)) << client.output();
  Status sent = client.Signal("TERM");
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_TRUE(client.ReadToEnd(60s)) << client.output();
  EXPECT_THAT(client.output(), HasSubstr("got TERM\n"));
  EXPECT_EQ(client.ExitStatus(), 7);
}

TEST_F(GatewayTerminalTest, SignalsOutsideTheAllowListAreNotSent) {
  StartGateway();
  LibsshClient client;
  ASSERT_NO_FATAL_FAILURE(StartCommand(client,
                                       "trap 'echo got USR1' USR1; "
                                       "trap 'echo got TERM; exit 7' TERM; "
                                       "echo ready; while :; do sleep 0.1; done"));
  ASSERT_TRUE(client.ReadUntil("ready\n", 60s)) << client.output();
  // Had STOP been sent, the USR1 after it (the gateway sends signals in the order they come)
  // would wait, unhandled, behind a stopped process.
  ASSERT_TRUE(client.Signal("STOP"));
  ASSERT_TRUE(client.Signal("USR1"));
  EXPECT_TRUE(client.ReadUntil("got USR1\n", 60s)) << client.output();
  ASSERT_TRUE(client.Signal("TERM"));
  EXPECT_TRUE(client.ReadToEnd(60s)) << client.output();
  EXPECT_THAT(client.output(), HasSubstr("got TERM\n"));
  EXPECT_EQ(client.ExitStatus(), 7);
}

TEST_F(GatewayTerminalTest, ClosingTheChannelHangsUpTheCommand) {
  StartGateway();
  LibsshClient client;
  pid_t pid = StartEndlessCommand(client, dir_.File("pid"));
  ASSERT_GT(pid, 0);
  client.CloseChannel();
  EXPECT_TRUE(GoneWithin(pid, 60s)) << "process " << pid << " outlived its channel";
}

TEST_F(GatewayTerminalTest, ADroppedConnectionHangsUpTheCommand) {
  StartGateway();
  LibsshClient client;
  pid_t pid = StartEndlessCommand(client, dir_.File("pid"));
  ASSERT_GT(pid, 0);
  client.Drop();
  EXPECT_TRUE(GoneWithin(pid, 60s)) << "process " << pid << " outlived its connection";
}

}  // namespace
}  // namespace yard::ssh
