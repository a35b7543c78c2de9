#include "ssh/local_access_fake.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <thread>

namespace yard::ssh::testing {
namespace {

void Nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// argv and envp are built before fork: the child of a threaded process may only exec.
struct Command {
  explicit Command(const ExecRequest& request) {
    for (char** variable = environ; *variable != nullptr; ++variable) env.emplace_back(*variable);
    for (const auto& [name, value] : request.env) env.push_back(name + "=" + value);
    for (const std::string& arg : request.cmd) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    for (std::string& variable : env) envp.push_back(variable.data());
    envp.push_back(nullptr);
  }
  [[noreturn]] void Exec() {
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

class LocalProcess final : public SessionProcess {
 public:
  LocalProcess(pid_t pid, int in, int out, int err, bool tty)
      : pid_(pid), in_(in), out_(out), err_(err), tty_(tty) {}
  ~LocalProcess() override {
    if (!reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : std::set<int>{in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  int stdin_fd() const override { return in_; }
  int stdout_fd() const override { return out_; }
  int stderr_fd() const override { return err_; }
  bool multiplexed() const override { return false; }
  void CloseStdin() override {
    if (tty_) {
      // A terminal has no half-close: EOF is ^D at the start of a line, as a user types it.
      char eof = 4;
      (void)!::write(in_, &eof, 1);
      return;
    }
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }
  void Resize(int rows, int cols) override {
    if (!tty_) return;
    winsize size{};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    ::ioctl(out_, TIOCSWINSZ, &size);
  }
  Status Signal(int signal) override {
    if (::kill(-pid_, signal) != 0) return Unexpected(ErrorCode::kNotFound, "no such process");
    return Ok();
  }
  Result<int> Wait() override {
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return Unexpected(ErrorCode::kInternal, "waitpid");
    reaped_ = true;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
  }
  void Hangup() override { ::kill(-pid_, SIGHUP); }

 private:
  pid_t pid_;
  int in_, out_, err_;
  bool tty_;
  bool reaped_ = false;
};

}  // namespace

void FakeDirectory::AddKey(const std::string& fingerprint, Account account) {
  std::lock_guard lock(mutex_);
  keys_[fingerprint] = std::move(account);
}

void FakeDirectory::AddMember(const std::string& project, const std::string& user) {
  std::lock_guard lock(mutex_);
  members_.insert({project, user});
}

void FakeDirectory::AddDeployment(const std::string& project, const std::string& name,
                                  Located located) {
  std::lock_guard lock(mutex_);
  deployments_[name + "." + project] = std::move(located);
}

Result<std::optional<Account>> FakeDirectory::FindKey(const std::string& fingerprint,
                                                      const std::string&, const std::string&) {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(fingerprint);
  if (it == keys_.end()) return std::optional<Account>();
  return std::optional<Account>(it->second);
}

Status FakeDirectory::Authorize(const Account& account, const SshTarget& target) {
  std::lock_guard lock(mutex_);
  if (target.kind == SshTarget::Kind::kGit) return Ok();
  if (!account.admin && !members_.contains({target.project, account.name})) {
    return Unexpected(ErrorCode::kNotFound,
                      "yard: no project " + target.project + " that you can reach");
  }
  if (!deployments_.contains(target.deployment + "." + target.project)) {
    return Unexpected(ErrorCode::kNotFound, "yard: project " + target.project +
                                                " has no deployment " + target.deployment);
  }
  return Ok();
}

Result<Located> FakeDirectory::Locate(const Account& account, const SshTarget& target) {
  TRY(Authorize(account, target));
  std::lock_guard lock(mutex_);
  Located located = deployments_.at(target.deployment + "." + target.project);
  if (!target.component.empty()) {
    if (std::find(located.services.begin(), located.services.end(), target.component) ==
        located.services.end()) {
      return Unexpected(ErrorCode::kNotFound, "yard: no component " + target.component);
    }
    located.service = target.component;
  }
  return located;
}

void FakeDirectory::KeyUsed(const std::string&) {
  std::lock_guard lock(mutex_);
  ++keys_used_;
}

int FakeDirectory::keys_used() const {
  std::lock_guard lock(mutex_);
  return keys_used_;
}

Result<std::unique_ptr<SessionProcess>> LocalAccess::Exec(const ExecRequest& request) {
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  if (request.container_id == "stopped") {
    return Unexpected(ErrorCode::kFailedPrecondition, "yard: the container is not running");
  }
  if (request.tty) {
    int master = -1;
    winsize size{};
    size.ws_row = static_cast<unsigned short>(request.rows);
    size.ws_col = static_cast<unsigned short>(request.cols);
    Command command(request);
    pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0) return Unexpected(ErrorCode::kIo, "forkpty failed");
    if (pid == 0) command.Exec();
    Nonblocking(master);
    return std::unique_ptr<SessionProcess>(new LocalProcess(pid, master, master, -1, true));
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    return Unexpected(ErrorCode::kIo, "pipe failed");
  }
  Command command(request);
  pid_t pid = ::fork();
  if (pid < 0) return Unexpected(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    ::setsid();
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    command.Exec();
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  for (int fd : {in[1], out[0], err[0]}) Nonblocking(fd);
  return std::unique_ptr<SessionProcess>(new LocalProcess(pid, in[1], out[0], err[0], false));
}

Result<UniqueFd> LocalAccess::Dial(const std::string&, const std::string& ip, int port,
                                   std::chrono::milliseconds) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    return Unexpected(ErrorCode::kInvalidArgument, "not an IPv4 address: " + ip);
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Unexpected(ErrorCode::kUnavailable, "connection refused");
  }
  return fd;
}

std::vector<ExecRequest> LocalAccess::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

}  // namespace yard::ssh::testing
