#include "ssh/gateway.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "base/log.h"
#include "ssh/admission.h"
#include "ssh/connection.h"
#include "ssh/libssh_ptr.h"
#include "ssh/listener.h"

namespace yard::ssh {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The acceptor wakes this often to reap finished connections and cut late logins.
constexpr milliseconds kTick{500};

// libssh's own log, folded into ours: warnings and worse only; the rest is noise per packet.
void LibsshLog(int priority, const char* function, const char* message, void*) {
  if (priority <= SSH_LOG_WARN) log::Warn("libssh {}: {}", function, message);
}

std::once_flag libssh_initialized;

std::pair<std::string, int> LocalAddress(int fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return {"", 0};
  char text[INET6_ADDRSTRLEN] = {};
  if (local.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&local);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return {text, ntohs(in6->sin6_port)};
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&local);
  ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
  return {text, ntohs(in4->sin_port)};
}

}  // namespace

struct Gateway::State {
  struct Live {
    std::shared_ptr<Connection> connection;
    Admission::Ticket ticket = 0;
    std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
    bool authenticated_reported = false;
    std::jthread thread;
  };

  State(GatewayOptions given, Directory& directory, ContainerAccess& containers,
        GitBackend* git, const Clock& clock)
      : options(std::move(given)),
        services{.options = &options,
                 .directory = &directory,
                 .containers = &containers,
                 .git = git},
        admission(clock, options.admission) {}

  void AcceptLoop(std::stop_token stop);
  void Serve(Accepted accepted);
  void Tick();

  GatewayOptions options;
  ConnectionServices services;
  Admission admission;
  BindPtr bind;
  std::optional<Listener> listener;
  std::vector<HostKey> host_keys;
  std::list<Live> live;  // touched by the acceptor thread only, and by Stop after it ended
  std::jthread acceptor;
};

Gateway::Gateway(GatewayOptions options, Directory& directory, ContainerAccess& containers,
                 GitBackend* git, const Clock& clock)
    : state_(std::make_unique<State>(std::move(options), directory, containers, git, clock)) {}

Gateway::~Gateway() { Stop(); }

int Gateway::port() const { return state_->listener ? state_->listener->port() : 0; }

const std::vector<HostKey>& Gateway::host_keys() const { return state_->host_keys; }

Status Gateway::Start() {
  std::call_once(libssh_initialized, [] {
    ssh_init();
    ssh_set_log_callback(&LibsshLog);
    ssh_set_log_level(SSH_LOG_WARN);
  });
  State& state = *state_;
  state.host_keys = TRY(LoadOrCreateHostKeys(state.options.host_keys_dir));
  state.bind.reset(ssh_bind_new());
  if (!state.bind) return Unexpected(ErrorCode::kInternal, "ssh: cannot make a libssh bind");
  for (const HostKey& host_key : state.host_keys) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(host_key.path.c_str(), nullptr, nullptr, nullptr, &key) !=
        SSH_OK) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("ssh: cannot read the host key {}", host_key.path));
    }
    // The bind owns the key from here on.
    if (ssh_bind_options_set(state.bind.get(), SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
      ssh_key_free(key);
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("ssh: host key {}: {}", host_key.path,
                                    ssh_get_error(state.bind.get())));
    }
  }
  // What clients may authenticate with: no DSA, no SHA-1 RSA signatures.
  ssh_bind_options_set(state.bind.get(), SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES,
                       "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
                       "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
                       "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256");
  state.listener = TRY(Listener::Open(state.options.host, state.options.port));
  state.acceptor = std::jthread([&state](std::stop_token stop) { state.AcceptLoop(stop); });
  log::Info("ssh: gateway listening on {}:{}", state.options.host, state.listener->port());
  return Ok();
}

void Gateway::State::AcceptLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::optional<Accepted> accepted = listener->Accept(kTick);
    if (accepted) Serve(std::move(*accepted));
    Tick();
  }
}

void Gateway::State::Serve(Accepted accepted) {
  Admission::Decision decision = admission.Admit(accepted.peer_ip);
  if (!decision.admitted()) {
    if (decision.log) log::Warn("ssh: refused a connection: {}", decision.reason);
    return;  // closing the socket is the whole answer: no libssh state was made
  }
  auto [local_ip, local_port] = LocalAddress(accepted.fd.get());
  SessionPtr session(ssh_new());
  int fd = accepted.fd.get();
  if (!session || ssh_bind_accept_fd(bind.get(), session.get(), fd) != SSH_OK) {
    log::Warn("ssh: cannot set up a session: {}",
              session ? ssh_get_error(bind.get()) : "out of memory");
    admission.Ended(*decision.ticket);
    return;
  }
  accepted.fd.release();  // the session closes it
  auto connection = std::make_shared<Connection>(services, std::move(session), fd,
                                                 accepted.peer_ip, accepted.peer_port, local_ip,
                                                 local_port);
  Live& entry = live.emplace_back();
  entry.connection = connection;
  entry.ticket = *decision.ticket;
  entry.thread = std::jthread([connection, done = entry.done](std::stop_token stop) {
    connection->Run(stop);
    done->store(true);
  });
}

void Gateway::State::Tick() {
  const auto now = Steady::now();
  for (auto it = live.begin(); it != live.end();) {
    Live& entry = *it;
    if (!entry.authenticated_reported && entry.connection->authenticated()) {
      admission.Authenticated(entry.ticket);
      entry.authenticated_reported = true;
    }
    if (entry.done->load()) {
      entry.thread.join();
      admission.Ended(entry.ticket);
      it = live.erase(it);
      continue;
    }
    if (!entry.connection->authenticated() &&
        now - entry.connection->started() > options.login_grace) {
      // Key exchange or authentication is taking too long: whatever libssh waits for in
      // that thread fails once its socket is shut down.
      entry.connection->Cut();
    }
    ++it;
  }
}

void Gateway::Stop() {
  State& state = *state_;
  if (!state.acceptor.joinable()) return;
  state.acceptor.request_stop();
  state.listener->Wake();
  state.acceptor.join();
  for (auto& entry : state.live) entry.thread.request_stop();
  const auto deadline = Steady::now() + state.options.stop_grace;
  for (auto& entry : state.live) {
    while (!entry.done->load() && Steady::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    if (!entry.done->load()) entry.connection->Cut();
  }
  for (auto& entry : state.live) entry.thread.join();
  state.live.clear();
  log::Info("ssh: gateway stopped");
}

}  // namespace yard::ssh
