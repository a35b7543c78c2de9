#pragma once

// One SSH connection, served on its own thread from key exchange to disconnect: public-key
// authentication against Stackyard's users, routing by user name, and an event loop over the
// session's socket and every descriptor its channels use. Nothing here touches another
// connection's state; the gateway only reads authenticated() and may Cut() it.

#include <libssh/callbacks.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "ssh/channel.h"
#include "ssh/libssh_ptr.h"

namespace yard::ssh {

struct ConnectionServices {
  const GatewayOptions* options = nullptr;
  Directory* directory = nullptr;
  ContainerAccess* containers = nullptr;
  GitBackend* git = nullptr;
};

class Connection {
 public:
  /// `session`: accepted by ssh_bind_accept_fd on `fd` (which the session owns).
  Connection(ConnectionServices services, SessionPtr session, int fd, std::string peer_ip,
             int peer_port, std::string local_ip, int local_port);
  ~Connection();

  /// The thread's body: returns when the client is gone, the connection failed, or `stop`
  /// was requested (the client is then told the server is stopping).
  void Run(std::stop_token stop);

  bool authenticated() const { return authenticated_.load(); }
  std::chrono::steady_clock::time_point started() const { return started_; }
  /// Ends the connection from another thread (login grace over): shuts the socket down, so
  /// that whatever libssh call this connection's thread is in fails at once.
  void Cut();

 private:
  static int OnAuthPubkey(ssh_session, const char* user, ssh_key_struct* key,
                          char signature_state, void* self);
  static ssh_channel OnSessionChannel(ssh_session, void* self);
  static int OnMessage(ssh_session, ssh_message message, void* self);
  int AuthPubkey(const char* user, ssh_key key, char signature_state);
  int OpenForward(ssh_message message);
  void Banner(const std::string& text);
  void Loop(ssh_event event, std::stop_token& stop);
  // Channels are opened from libssh callbacks, which may run while the loop walks channels_:
  // they wait in opened_ until the walk is over.
  void AdoptOpened();
  bool ChannelsFull() const;

  ConnectionServices services_;
  SessionPtr session_;
  int fd_;
  std::string peer_ip_;
  ConnectionContext context_;
  ssh_server_callbacks_struct server_callbacks_{};
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> authenticated_{false};
  int key_offers_ = 0;
  int failed_logins_ = 0;
  bool unknown_key_told_ = false;
  bool give_up_ = false;  // too many failures: disconnect
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<std::unique_ptr<Channel>> opened_;
};

}  // namespace yard::ssh
