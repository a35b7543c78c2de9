#include "ssh/connection.h"

#include <fmt/core.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "auth/ssh_public_key.h"
#include "base/log.h"
#include "ssh/forward_channel.h"
#include "ssh/forward_policy.h"
#include "ssh/session_channel.h"

namespace yard::ssh {
namespace {

using std::chrono::milliseconds;

Connection* Self(void* self) { return static_cast<Connection*>(self); }

// The event loop wakes at least this often to notice a stop.
constexpr int kLoopTickMs = 250;

// Added descriptors only wake the loop: the channels look at them in Step().
int Wake(socket_t, int, void*) { return 0; }

std::string KeyBase64(ssh_key key) {
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) return {};
  std::string text = base64;
  ssh_string_free_char(base64);
  return text;
}

}  // namespace

Connection::Connection(ConnectionServices services, SessionPtr session, int fd,
                       std::string peer_ip, int peer_port, std::string local_ip, int local_port)
    : services_(services),
      session_(std::move(session)),
      fd_(fd),
      peer_ip_(std::move(peer_ip)),
      started_(std::chrono::steady_clock::now()) {
  context_.options = services_.options;
  context_.directory = services_.directory;
  context_.containers = services_.containers;
  context_.git = services_.git;
  context_.peer = peer_ip_.find(':') == std::string::npos
                      ? fmt::format("{}:{}", peer_ip_, peer_port)
                      : fmt::format("[{}]:{}", peer_ip_, peer_port);
  context_.ssh_connection = fmt::format("{} {} {} {}", peer_ip_, peer_port, local_ip, local_port);
}

Connection::~Connection() {
  // Channels hold libssh channels of this session: they go first.
  opened_.clear();
  channels_.clear();
}

void Connection::Cut() { ::shutdown(fd_, SHUT_RDWR); }

void Connection::Run(std::stop_token stop) {
  ssh_session session = session_.get();
  server_callbacks_.userdata = this;
  server_callbacks_.auth_pubkey_function = &OnAuthPubkey;
  server_callbacks_.channel_open_request_session_function = &OnSessionChannel;
  ssh_callbacks_init(&server_callbacks_);
  ssh_set_server_callbacks(session, &server_callbacks_);
  ssh_set_message_callback(session, &OnMessage, this);
  ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);

  if (ssh_handle_key_exchange(session) != SSH_OK) {
    log::Debug("ssh {}: key exchange failed: {}", context_.peer, ssh_get_error(session));
    return;
  }
  // From here on nothing may block the thread: every channel of the connection shares it.
  ssh_set_blocking(session, 0);
  EventPtr event(ssh_event_new());
  if (!event || ssh_event_add_session(event.get(), session) != SSH_OK) {
    log::Warn("ssh {}: cannot set up the connection's event loop", context_.peer);
    return;
  }
  Loop(event.get(), stop);
  AdoptOpened();
  for (auto& channel : channels_) channel->Hangup();
  if (stop.stop_requested()) {
    ssh_session_set_disconnect_message(session, "the Stackyard server is stopping");
  }
  ssh_event_remove_session(event.get(), session);
  opened_.clear();
  channels_.clear();
  ssh_disconnect(session);
  if (authenticated()) log::Info("ssh {} ({}): disconnected", context_.peer, context_.account.name);
}

void Connection::Loop(ssh_event event, std::stop_token& stop) {
  std::vector<int> watched;
  while (!stop.stop_requested() && !give_up_) {
    int rc = ssh_event_dopoll(event, kLoopTickMs);
    int status = ssh_get_status(session_.get());
    if (rc == SSH_ERROR || (status & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0) break;
    // Nothing is watched while the channels run: a descriptor a channel closes in Step()
    // must not stay in the poll set, where its number could come back as another file.
    for (int fd : watched) ssh_event_remove_fd(event, fd);
    watched.clear();
    AdoptOpened();
    for (auto& channel : channels_) channel->Step();
    AdoptOpened();
    std::erase_if(channels_, [](const auto& channel) { return channel->finished(); });
    std::map<int, short> wanted;
    for (const auto& channel : channels_) channel->AddInterest(wanted);
    for (const auto& [fd, events] : wanted) {
      if (fd < 0 || events == 0) continue;
      if (ssh_event_add_fd(event, fd, events, &Wake, nullptr) == SSH_OK) watched.push_back(fd);
    }
  }
  for (int fd : watched) ssh_event_remove_fd(event, fd);
}

void Connection::AdoptOpened() {
  for (auto& channel : opened_) channels_.push_back(std::move(channel));
  opened_.clear();
}

bool Connection::ChannelsFull() const {
  return static_cast<int>(channels_.size() + opened_.size()) >= services_.options->max_channels;
}

// ---- Authentication -------------------------------------------------------------------------

int Connection::OnAuthPubkey(ssh_session, const char* user, ssh_key_struct* key,
                             char signature_state, void* self) {
  return Self(self)->AuthPubkey(user, key, signature_state);
}

void Connection::Banner(const std::string& text) {
  // OpenSSH prints SSH_MSG_USERAUTH_BANNER as is, before "Permission denied".
  ssh_string banner = ssh_string_from_char(text.c_str());
  if (banner == nullptr) return;
  ssh_send_issue_banner(session_.get(), banner);
  ssh_string_free(banner);
}

int Connection::AuthPubkey(const char* user, ssh_key key, char signature_state) {
  const GatewayOptions& options = *services_.options;
  if (authenticated()) return SSH_AUTH_DENIED;
  if (signature_state == SSH_PUBLICKEY_STATE_NONE) {
    if (++key_offers_ > options.max_key_offers) {
      give_up_ = true;
      return SSH_AUTH_DENIED;
    }
  } else if (signature_state != SSH_PUBLICKEY_STATE_VALID) {
    // A signature that does not verify.
    if (++failed_logins_ >= options.max_failed_logins) give_up_ = true;
    return SSH_AUTH_DENIED;
  }
  std::string user_name = user != nullptr ? user : "";
  auto fingerprint = auth::KeyFingerprint(key);
  if (!fingerprint) return SSH_AUTH_DENIED;
  auto owner = services_.directory->FindKey(*fingerprint, ssh_key_type_to_char(ssh_key_type(key)),
                                            KeyBase64(key));
  if (!owner) {
    log::Warn("ssh {}: key lookup failed: {}", context_.peer, owner.error().message);
    return SSH_AUTH_DENIED;
  }
  if (!*owner) {
    if (!unknown_key_told_ && signature_state == SSH_PUBLICKEY_STATE_NONE) {
      unknown_key_told_ = true;
      Banner(fmt::format("yard: the key {} is not registered with Stackyard; add its .pub file "
                         "to your profile with `yard keys add`.\n",
                         *fingerprint));
    }
    return SSH_AUTH_DENIED;
  }
  // An offer (no signature yet) of a registered key: tell the client to sign with it.
  if (signature_state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;

  const Account& account = **owner;
  auto target = ParseSshUser(user_name);
  Status allowed = target ? services_.directory->Authorize(account, *target)
                          : Status(Unexpected(target.error()));
  if (!allowed) {
    ++failed_logins_;
    if (failed_logins_ >= options.max_failed_logins) give_up_ = true;
    log::Info("ssh {}: {} as {} refused: {}", context_.peer, account.name, user_name,
              allowed.error().message);
    std::string message = allowed.error().message;
    if (message.rfind("yard: ", 0) != 0) message = "yard: " + message;
    Banner(message + "\n");
    return SSH_AUTH_DENIED;
  }
  context_.account = account;
  context_.target = *target;
  context_.user_name = user_name;
  authenticated_ = true;
  services_.directory->KeyUsed(*fingerprint);
  log::Info("ssh {}: {} authenticated with {} as {}", context_.peer, account.name, *fingerprint,
            user_name);
  return SSH_AUTH_SUCCESS;
}

// ---- Channels -------------------------------------------------------------------------------

ssh_channel Connection::OnSessionChannel(ssh_session session, void* self) {
  auto* connection = Self(self);
  if (!connection->authenticated() || connection->ChannelsFull()) return nullptr;
  ssh_channel channel = ssh_channel_new(session);
  if (channel == nullptr) return nullptr;
  connection->opened_.push_back(std::make_unique<SessionChannel>(connection->context_, channel));
  return channel;
}

int Connection::OnMessage(ssh_session, ssh_message message, void* self) {
  auto* connection = Self(self);
  if (ssh_message_type(message) == SSH_REQUEST_CHANNEL_OPEN &&
      ssh_message_subtype(message) == SSH_CHANNEL_DIRECT_TCPIP && connection->authenticated()) {
    return connection->OpenForward(message);
  }
  // Anything else (remote forwarding, agent and X11 forwarding, other channel types) gets
  // libssh's default refusal.
  return 1;
}

int Connection::OpenForward(ssh_message message) {
  const char* host = ssh_message_channel_request_open_destination(message);
  int port = ssh_message_channel_request_open_destination_port(message);
  std::string destination = fmt::format("{}:{}", host ? host : "", port);
  auto refuse = [&](const std::string& why) {
    log::Info("ssh {} ({}): forward to {} refused: {}", context_.peer, context_.account.name,
              destination, why);
    return 1;
  };
  if (context_.target.kind == SshTarget::Kind::kGit) return refuse("the git user forwards nothing");
  if (ChannelsFull()) return refuse("too many channels");
  auto located = services_.directory->Locate(context_.account, context_.target);
  if (!located) return refuse(located.error().message);
  ForwardTarget decision = DecideForward(host ? host : "", port, *located);
  if (const auto* refusal = std::get_if<ForwardRefusal>(&decision)) return refuse(refusal->text);
  std::string ip;
  int dial_port = port;
  if (const auto* local = std::get_if<LocalPortForward>(&decision)) {
    ip = local->ip;
    dial_port = local->port;
  } else {
    const auto& service = std::get<ServiceForward>(decision);
    ip = service.ip;
    dial_port = service.port;
  }
  auto socket = services_.containers->Dial(located->container_id, ip, dial_port,
                                           services_.options->dial_timeout);
  if (!socket) return refuse(socket.error().message);
  ssh_channel channel = ssh_message_channel_request_open_reply_accept(message);
  if (channel == nullptr) return 0;  // the client went away; the socket closes here
  std::string what = fmt::format("forward from {} to {} ({}:{} in {})", context_.peer,
                                 destination, ip, dial_port, located->service);
  log::Info("ssh {} ({}): {}", context_.peer, context_.account.name, what);
  opened_.push_back(std::make_unique<ForwardChannel>(channel, std::move(*socket), what));
  return 0;
}

}  // namespace yard::ssh
