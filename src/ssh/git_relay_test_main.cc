// The ssh program of git_service_test's clients (GIT_SSH_COMMAND): instead of connecting to a
// server it hands its stdin, stdout and stderr, with the remote command and GIT_PROTOCOL, to
// the test over the unix socket $YARD_GIT_RELAY_SOCKET (SCM_RIGHTS), and exits with the
// status the test sends back. The test then plays the gateway: GitService on one side, the
// client's descriptors on the other.
//
// Message: "COMMAND\0GIT_PROTOCOL\0" with descriptors 0, 1, 2; answer: 4 bytes, the status.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  const char* socket_path = std::getenv("YARD_GIT_RELAY_SOCKET");
  if (argc < 2 || socket_path == nullptr) {
    std::fprintf(stderr,
                 "git relay: usage: YARD_GIT_RELAY_SOCKET=PATH %s [ssh options] HOST COMMAND\n",
                 argv[0]);
    return 255;
  }
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path, sizeof(address.sun_path) - 1);
  if (connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    std::perror("git relay: connect");
    return 255;
  }
  // git puts the remote command last, after the options and the host.
  const char* protocol = std::getenv("GIT_PROTOCOL");
  std::string message = std::string(argv[argc - 1]) + '\0' + (protocol ? protocol : "") + '\0';
  iovec data{message.data(), message.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  cmsghdr* rights = CMSG_FIRSTHDR(&header);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(3 * sizeof(int));
  int fds[3] = {0, 1, 2};
  std::memcpy(CMSG_DATA(rights), fds, sizeof(fds));
  if (sendmsg(sock, &header, 0) != static_cast<ssize_t>(message.size())) {
    std::perror("git relay: sendmsg");
    return 255;
  }
  // Our copies must not keep the client's pipes open: the test holds them now.
  close(0);
  close(1);
  int32_t status = 255;
  size_t got = 0;
  while (got < sizeof(status)) {
    ssize_t n = read(sock, reinterpret_cast<char*>(&status) + got, sizeof(status) - got);
    if (n <= 0) return 255;
    got += static_cast<size_t>(n);
  }
  return status;
}
