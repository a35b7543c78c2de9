#include "ssh/git_service.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "base/process.h"
#include "base/unique_fd.h"
#include "git/git_command.h"
#include "git/hooks.h"
#include "git/test_repo.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::ssh {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
namespace gt = git::testing;

constexpr int kPollLimitMs = 60'000;  // only against hangs

// Moves bytes between a git client's descriptors and a SessionProcess the way the gateway's
// pump does: client input to the process (EOF closes its stdin), stdout and stderr back, until
// the process's output ends. Returns the exit status.
int Pump(SessionProcess& process, int client_in, int client_out, int client_err) {
  EXPECT_FALSE(process.multiplexed());
  fcntl(client_in, F_SETFL, fcntl(client_in, F_GETFL) | O_NONBLOCK);
  fcntl(client_out, F_SETFL, fcntl(client_out, F_GETFL) | O_NONBLOCK);
  std::string to_process, to_client;
  bool in_eof = false, out_eof = false, err_eof = false, stdin_closed = false;
  char buffer[65536];
  while (!out_eof || !err_eof || !to_client.empty()) {
    if (in_eof && to_process.empty() && !stdin_closed) {
      process.CloseStdin();
      stdin_closed = true;
    }
    std::vector<pollfd> fds;
    auto add = [&fds](int fd, short events) {
      fds.push_back({fd, events, 0});
      return fds.size() - 1;
    };
    size_t none = SIZE_MAX;
    size_t in_at = !in_eof && to_process.size() < sizeof(buffer) ? add(client_in, POLLIN) : none;
    size_t stdin_at =
        !to_process.empty() && !stdin_closed ? add(process.stdin_fd(), POLLOUT) : none;
    size_t out_at =
        !out_eof && to_client.size() < sizeof(buffer) ? add(process.stdout_fd(), POLLIN) : none;
    size_t err_at = !err_eof ? add(process.stderr_fd(), POLLIN) : none;
    size_t client_out_at = !to_client.empty() ? add(client_out, POLLOUT) : none;
    int ready = poll(fds.data(), fds.size(), kPollLimitMs);
    if (ready <= 0) {
      ADD_FAILURE() << "the git exchange stalled";
      return -1;
    }
    auto fired = [&fds, none](size_t at) { return at != none && fds[at].revents != 0; };
    if (fired(in_at)) {
      ssize_t n = read(client_in, buffer, sizeof(buffer));
      if (n > 0) to_process.append(buffer, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN)) in_eof = true;
    }
    if (fired(stdin_at)) {
      ssize_t n = write(process.stdin_fd(), to_process.data(), to_process.size());
      if (n > 0) to_process.erase(0, static_cast<size_t>(n));
      if (n < 0 && errno != EAGAIN) {  // git stopped reading: drop the rest
        to_process.clear();
        in_eof = true;
      }
    }
    if (fired(out_at)) {
      ssize_t n = read(process.stdout_fd(), buffer, sizeof(buffer));
      if (n > 0) to_client.append(buffer, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN)) out_eof = true;
    }
    if (fired(err_at)) {
      ssize_t n = read(process.stderr_fd(), buffer, sizeof(buffer));
      // The client's stderr is the test's capture of git's: blocking, written as it comes
      // (and lost if git has already given up).
      if (n > 0) {
        [[maybe_unused]] ssize_t written = write(client_err, buffer, static_cast<size_t>(n));
      }
      if (n == 0 || (n < 0 && errno != EAGAIN)) err_eof = true;
    }
    if (fired(client_out_at)) {
      ssize_t n = write(client_out, to_client.data(), to_client.size());
      if (n > 0) to_client.erase(0, static_cast<size_t>(n));
      if (n < 0 && errno != EAGAIN) to_client.clear();
    }
  }
  auto status = process.Wait();
  EXPECT_TRUE(status) << status.error().message;
  return status.value_or(-1);
}

// Accepts the relay's connections (git_relay_test_main.cc) on a unix socket and serves each
// with `serve`, one at a time, on a thread of its own.
class RelayServer {
 public:
  using Serve = std::function<int(const std::string& command, const std::string& protocol, int in,
                                  int out, int err)>;

  RelayServer(const std::string& path, Serve serve) : path_(path), serve_(std::move(serve)) {
    listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listener_.get(), 4), 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~RelayServer() {
    stop_ = true;
    thread_.join();
    unlink(path_.c_str());
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd ready{listener_.get(), POLLIN, 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      UniqueFd connection(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (connection) Handle(connection.get());
    }
  }

  void Handle(int connection) {
    char data[4096];
    iovec io{data, sizeof(data)};
    alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))];
    msghdr header{};
    header.msg_iov = &io;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    ssize_t got = recvmsg(connection, &header, MSG_CMSG_CLOEXEC);
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    if (got <= 0 || rights == nullptr || rights->cmsg_type != SCM_RIGHTS) {
      ADD_FAILURE() << "bad relay message";
      return;
    }
    int fds[3];
    std::memcpy(fds, CMSG_DATA(rights), sizeof(fds));
    UniqueFd in(fds[0]), out(fds[1]), err(fds[2]);
    std::string message(data, static_cast<size_t>(got));
    std::string command = message.substr(0, message.find('\0'));
    std::string protocol = message.substr(command.size() + 1);
    protocol = protocol.substr(0, protocol.find('\0'));
    int32_t status = serve_(command, protocol, in.get(), out.get(), err.get());
    // The client sees the end of our output only once every copy is closed.
    in.reset();
    out.reset();
    err.reset();
    // A git that died of what it read ("fatal: ...") has killed its ssh already (the relay):
    // then nobody waits for the status, as with a real client.
    [[maybe_unused]] ssize_t sent = write(connection, &status, sizeof(status));
  }

  std::string path_;
  Serve serve_;
  UniqueFd listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class GitServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // as the server does: a client gone is EPIPE, not death
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    bob_ = MUST(users_.Create("bob", store::Role::kUser));
    root_ = MUST(users_.Create("root", store::Role::kAdmin));
    shop_ = MUST(projects_.Create({.name = "shop"}, alice_));
    ASSERT_TRUE(git::WriteHooks(hooks_, YARD_GIT_HOOK_RUNNER));

    gt::InitSource(source_);
    gt::WriteFile(source_, "stackyard.yaml", "name: shop\n");
    first_ = gt::CommitAll(source_, "one", 1'700'000'000);
    gt::WriteFile(source_, "README", "two\n");
    second_ = gt::CommitAll(source_, "two", 1'700'000'100);
  }

  static Account AccountOf(const store::User& user) {
    return Account{
        .user_id = user.id, .name = user.name, .admin = user.role == store::Role::kAdmin};
  }

  // Runs a real git client as `user` against ssh://git@yard.invalid:2222/..., relayed into the
  // service.
  ProcessResult GitAs(const store::User& user, const std::vector<std::string>& args,
                      const std::string& cwd = "") {
    Account account = AccountOf(user);
    RelayServer relay(socket_, [this, account](const std::string& command,
                                               const std::string& protocol, int in, int out,
                                               int err) {
      {
        std::lock_guard lock(mutex_);
        seen_.push_back({command, protocol});
      }
      auto started = service_.Start(account, command, protocol);
      if (!started) {
        std::string message = started.error().message + "\n";
        EXPECT_EQ(write(err, message.data(), message.size()), static_cast<ssize_t>(message.size()));
        return 128;
      }
      return Pump(**started, in, out, err);
    });
    ProcessOptions options;
    options.argv = {"git"};
    if (!cwd.empty()) options.argv.insert(options.argv.end(), {"-C", cwd});
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = git::GitEnvironment();
    options.env["GIT_SSH_COMMAND"] = YARD_GIT_RELAY;
    options.env["GIT_SSH_VARIANT"] = "ssh";
    options.env["YARD_GIT_RELAY_SOCKET"] = socket_;
    options.clear_env = true;
    options.timeout = std::chrono::seconds(120);
    return MUST(RunProcess(options));
  }

  std::string Url(const std::string& project) const {
    return "ssh://git@yard.invalid:2222/" + project + ".git";
  }

  std::vector<store::PushEvent> Pushes(const store::Project& project) {
    return MUST(pushes_.List(project.id, 100));
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_{1'800'000'000};
  testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  store::PushEventStore pushes_{*db_, clock_};
  std::string hooks_ = dir_.File("git/hooks");
  std::string reports_ = dir_.File("tmp");
  GitService service_{projects_, users_, pushes_, {.hooks_dir = hooks_, .reports_dir = reports_}};
  std::string socket_ = dir_.File("relay.sock");
  std::string source_ = dir_.File("source");
  store::User alice_, bob_, root_;
  store::Project shop_;
  std::string first_, second_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> seen_;  // command, GIT_PROTOCOL
};

TEST_F(GitServiceTest, PushThenCloneAndThePushIsRecorded) {
  ProcessResult pushed = GitAs(alice_, {"push", Url("shop"), "main"}, source_);
  ASSERT_TRUE(pushed.Succeeded()) << pushed.stderr_data;
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].first, "git-receive-pack '/shop.git'");

  auto events = Pushes(shop_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].ref, "refs/heads/main");
  EXPECT_EQ(events[0].old_commit, "");
  EXPECT_EQ(events[0].new_commit, second_);
  EXPECT_FALSE(events[0].forced);
  EXPECT_EQ(events[0].user_name, "alice");
  // The report is gone once recorded.
  EXPECT_THAT(gt::DirEntries(reports_), IsEmpty());

  ProcessResult cloned = GitAs(alice_, {"clone", "--quiet", Url("shop"), dir_.File("clone")});
  ASSERT_TRUE(cloned.Succeeded()) << cloned.stderr_data;
  EXPECT_EQ(gt::Git(dir_.File("clone"), {"rev-parse", "HEAD"}), second_);
  // A clone speaks protocol version 2, passed on from the client.
  EXPECT_EQ(seen_.back().first, "git-upload-pack '/shop.git'");
  EXPECT_EQ(seen_.back().second, "version=2");

  // A second push of a branch and a tag: one event each.
  gt::Git(source_, {"tag", "v1", first_});
  ProcessResult more = GitAs(alice_, {"push", Url("shop"), "main:dev", "v1"}, source_);
  ASSERT_TRUE(more.Succeeded()) << more.stderr_data;
  events = Pushes(shop_);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_THAT((std::vector<std::string>{events[0].ref, events[1].ref}),
              ::testing::UnorderedElementsAre("refs/heads/dev", "refs/tags/v1"));
}

TEST_F(GitServiceTest, ProtectedBranchesRefuseForcePushesAndRecordAllowedOnes) {
  ASSERT_TRUE(project_store_.SetProtection(shop_.id, {"main"}, true, true));
  ASSERT_TRUE(GitAs(alice_, {"push", Url("shop"), "main"}, source_).Succeeded());
  gt::Git(source_, {"reset", "--quiet", "--hard", first_});
  gt::WriteFile(source_, "README", "rewritten\n");
  std::string rewritten = gt::CommitAll(source_, "rewritten", 1'700'000'200);

  ProcessResult forced = GitAs(alice_, {"push", "--force", Url("shop"), "main"}, source_);
  EXPECT_FALSE(forced.Succeeded());
  EXPECT_THAT(forced.stderr_data,
              HasSubstr("remote: yard: refusing a force-push to protected branch main"));
  EXPECT_THAT(forced.stderr_data, HasSubstr("[remote rejected]"));
  ProcessResult deleted = GitAs(alice_, {"push", Url("shop"), ":main"}, source_);
  EXPECT_FALSE(deleted.Succeeded());
  EXPECT_THAT(deleted.stderr_data, HasSubstr("refusing to delete protected branch main"));
  EXPECT_EQ(Pushes(shop_).size(), 1u);
  EXPECT_THAT(gt::DirEntries(reports_), IsEmpty());

  // The owners allow force-pushes: the rewrite goes through and is recorded as forced.
  ASSERT_TRUE(project_store_.SetProtection(shop_.id, {"main"}, false, true));
  ProcessResult allowed = GitAs(alice_, {"push", "--force", Url("shop"), "main"}, source_);
  ASSERT_TRUE(allowed.Succeeded()) << allowed.stderr_data;
  auto events = Pushes(shop_);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].old_commit, second_);
  EXPECT_EQ(events[0].new_commit, rewritten);
  EXPECT_TRUE(events[0].forced);
}

TEST_F(GitServiceTest, OutsidersGetTheSameAnswerAsForAMissingProject) {
  ProcessResult outsider = GitAs(bob_, {"clone", Url("shop"), dir_.File("bob")});
  EXPECT_FALSE(outsider.Succeeded());
  EXPECT_THAT(outsider.stderr_data,
              HasSubstr("yard: no project named 'shop', or you are not a member of it"));
  ProcessResult missing = GitAs(bob_, {"clone", Url("nothing"), dir_.File("nothing")});
  EXPECT_FALSE(missing.Succeeded());
  EXPECT_THAT(missing.stderr_data,
              HasSubstr("yard: no project named 'nothing', or you are not a member of it"));
  ProcessResult push = GitAs(bob_, {"push", Url("shop"), "main"}, source_);
  EXPECT_FALSE(push.Succeeded());
  EXPECT_THAT(push.stderr_data, HasSubstr("not a member"));
  EXPECT_THAT(Pushes(shop_), IsEmpty());

  // Once a member, bob may push; an admin reaches every project.
  MUST(project_store_.AddMember(shop_.id, bob_.id, store::MemberRole::kMember));
  ProcessResult member = GitAs(bob_, {"push", Url("shop"), "main"}, source_);
  ASSERT_TRUE(member.Succeeded()) << member.stderr_data;
  EXPECT_EQ(Pushes(shop_)[0].user_name, "bob");
  ProcessResult admin = GitAs(root_, {"clone", "--quiet", Url("shop"), dir_.File("root")});
  ASSERT_TRUE(admin.Succeeded()) << admin.stderr_data;
}

TEST_F(GitServiceTest, MirrorsAreClonedButNotPushedTo) {
  store::Project mirror = MUST(projects_.Create({.name = "mirror", .source = source_}, alice_));
  ProcessResult push = GitAs(alice_, {"push", Url("mirror"), "main:other"}, source_);
  EXPECT_FALSE(push.Succeeded());
  EXPECT_THAT(push.stderr_data, HasSubstr("yard: project mirror mirrors " + source_ +
                                          ": push there, then `yard projects refresh mirror`"));
  EXPECT_THAT(Pushes(mirror), IsEmpty());
  ProcessResult clone = GitAs(alice_, {"clone", "--quiet", Url("mirror"), dir_.File("copy")});
  ASSERT_TRUE(clone.Succeeded()) << clone.stderr_data;
  EXPECT_EQ(gt::Git(dir_.File("copy"), {"rev-parse", "HEAD"}), second_);
}

TEST_F(GitServiceTest, RefusesWhatIsNotAGitService) {
  for (std::string command : {"sh -c id", "git-upload-archive '/shop.git'", "ls"}) {
    auto started = service_.Start(AccountOf(alice_), command, "");
    ASSERT_FALSE(started) << command;
    EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(started.error().message, HasSubstr("only git clone, fetch and push"));
  }
  auto ghost =
      service_.Start(Account{.user_id = 999, .name = "ghost"}, "git-upload-pack '/shop.git'", "");
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(GitServiceTest, HangupEndsGitAndLeavesNoReport) {
  // receive-pack advertises its refs, then waits for the client, who never speaks.
  auto started = MUST(service_.Start(AccountOf(alice_), "git-receive-pack 'shop'", ""));
  pollfd ready{started->stdout_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&ready, 1, kPollLimitMs), 1);
  EXPECT_THAT(gt::DirEntries(reports_), ::testing::SizeIs(1));
  started->Hangup();
  started->Resize(10, 10);  // ignored
  started.reset();
  EXPECT_THAT(gt::DirEntries(reports_), IsEmpty());
  EXPECT_THAT(Pushes(shop_), IsEmpty());
}

TEST_F(GitServiceTest, WaitGivesTheExitStatus) {
  // What `git ls-remote` does: read the advertisement, answer with a flush packet.
  auto started = MUST(service_.Start(AccountOf(alice_), "git upload-pack '/shop.git'", "junk"));
  ASSERT_EQ(write(started->stdin_fd(), "0000", 4), 4);
  started->CloseStdin();
  EXPECT_EQ(started->stdin_fd(), -1);
  char buffer[4096];
  while (true) {
    pollfd ready{started->stdout_fd(), POLLIN, 0};
    ASSERT_EQ(poll(&ready, 1, kPollLimitMs), 1);
    if (read(started->stdout_fd(), buffer, sizeof(buffer)) == 0) break;
  }
  EXPECT_EQ(MUST(started->Wait()), 0);

  // A client that hangs up at once: git's own complaint, and its status.
  started = MUST(service_.Start(AccountOf(alice_), "git upload-pack '/shop.git'", ""));
  started->CloseStdin();
  while (true) {
    pollfd ready{started->stdout_fd(), POLLIN, 0};
    ASSERT_EQ(poll(&ready, 1, kPollLimitMs), 1);
    if (read(started->stdout_fd(), buffer, sizeof(buffer)) == 0) break;
  }
  EXPECT_EQ(MUST(started->Wait()), 128);
}

}  // namespace
}  // namespace yard::ssh
