#pragma once

// How a client reaches the gateway, spelt out for people and tools: the `ssh` command line,
// the git URL, known_hosts lines and ssh_config Host blocks (which VS Code Remote-SSH,
// JetBrains Gateway and Cursor read). Shared by the API's views and `yard ssh`.

#include <string>
#include <string_view>
#include <vector>

#include "ssh/target.h"

namespace yard::ssh {

/// Where clients connect: the advertised host (a name, or an IP literal without brackets) and
/// port.
struct SshAddress {
  std::string host;
  int port = 22;
};

/// One shell word: as is when it needs no quoting, else in single quotes.
std::string ShellQuote(std::string_view word);
/// The words, quoted and joined by spaces: a command line to copy into a shell.
std::string ShellJoin(const std::vector<std::string>& words);

/// "ssh -p 2222 dev.shop@localhost"; without -p for port 22.
std::string SshCommand(const SshAddress& address, std::string_view user);
/// "ssh://git@localhost:2222/shop.git"; without the port for 22, IPv6 hosts in brackets.
std::string GitSshUrl(const SshAddress& address, std::string_view project);

/// The host as known_hosts names it: "[localhost]:2222", or "localhost" for port 22;
/// lowercase, as ssh looks names up.
std::string KnownHostsName(const SshAddress& address);
/// "[localhost]:2222 ssh-ed25519 AAAA..." for a host key line "ssh-ed25519 AAAA..." (a
/// comment after the key is dropped).
std::string KnownHostsLine(const SshAddress& address, std::string_view host_key);

/// A value for ssh_config or `ssh -o`: '%' doubled (ssh expands %-tokens in file names) and
/// in double quotes when it holds white space or '#' (ssh splits the value on white space).
std::string SshConfigValue(std::string_view value);

/// "dev.shop.yard", "web.dev.shop.yard": the Host alias for a deployment target.
std::string SshConfigAlias(const SshTarget& target);
/// The ssh_config block for `target`: Host alias, HostName, Port, User, UserKnownHostsFile,
/// StrictHostKeyChecking yes. Ends with a newline.
std::string SshConfigBlock(const SshAddress& address, const SshTarget& target,
                           std::string_view known_hosts_file);

/// The argv `yard ssh` runs: ssh with the port, the known_hosts file and strict host key
/// checking, `--` (so that nothing after it is read as an option), USER@HOST and the remote
/// command's words, if any.
std::vector<std::string> SshArgv(const SshAddress& address, std::string_view user,
                                 std::string_view known_hosts_file,
                                 const std::vector<std::string>& command);

}  // namespace yard::ssh
