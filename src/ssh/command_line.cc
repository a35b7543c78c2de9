#include "ssh/command_line.h"

#include <fmt/core.h>

#include <algorithm>

namespace yard::ssh {
namespace {

bool IsIpv6(std::string_view host) { return host.find(':') != std::string_view::npos; }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

}  // namespace

std::string ShellQuote(std::string_view word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string ShellJoin(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) line += (line.empty() ? "" : " ") + ShellQuote(word);
  return line;
}

std::string SshCommand(const SshAddress& address, std::string_view user) {
  std::vector<std::string> words = {"ssh"};
  if (address.port != 22) {
    words.push_back("-p");
    words.push_back(std::to_string(address.port));
  }
  words.push_back(fmt::format("{}@{}", user, address.host));
  return ShellJoin(words);
}

std::string GitSshUrl(const SshAddress& address, std::string_view project) {
  std::string host = IsIpv6(address.host) ? fmt::format("[{}]", address.host) : address.host;
  if (address.port != 22) host += fmt::format(":{}", address.port);
  return fmt::format("ssh://{}@{}/{}.git", kGitUser, host, project);
}

std::string KnownHostsName(const SshAddress& address) {
  std::string host = Lower(address.host);
  return address.port == 22 ? host : fmt::format("[{}]:{}", host, address.port);
}

std::string KnownHostsLine(const SshAddress& address, std::string_view host_key) {
  // "TYPE BASE64 [COMMENT]": keep the first two fields.
  size_t type_end = host_key.find(' ');
  size_t blob_end =
      type_end == std::string_view::npos ? type_end : host_key.find(' ', type_end + 1);
  return fmt::format("{} {}", KnownHostsName(address), host_key.substr(0, blob_end));
}

std::string SshConfigValue(std::string_view value) {
  std::string escaped;
  for (char c : value) escaped += c == '%' ? std::string("%%") : std::string(1, c);
  bool quote = escaped.empty() || escaped.find_first_of(" \t#") != std::string::npos;
  return quote ? fmt::format("\"{}\"", escaped) : escaped;
}

std::string SshConfigAlias(const SshTarget& target) { return SshUser(target) + ".yard"; }

std::string SshConfigBlock(const SshAddress& address, const SshTarget& target,
                           std::string_view known_hosts_file) {
  return fmt::format(
      "Host {}\n"
      "  HostName {}\n"
      "  Port {}\n"
      "  User {}\n"
      "  UserKnownHostsFile {}\n"
      "  StrictHostKeyChecking yes\n",
      SshConfigAlias(target), address.host, address.port, SshUser(target),
      SshConfigValue(known_hosts_file));
}

std::vector<std::string> SshArgv(const SshAddress& address, std::string_view user,
                                 std::string_view known_hosts_file,
                                 const std::vector<std::string>& command) {
  std::vector<std::string> argv = {"ssh",
                                   "-p",
                                   std::to_string(address.port),
                                   "-o",
                                   "UserKnownHostsFile=" + SshConfigValue(known_hosts_file),
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "--",
                                   fmt::format("{}@{}", user, address.host)};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace yard::ssh
