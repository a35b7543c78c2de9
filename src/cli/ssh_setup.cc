#include "cli/ssh_setup.h"

#include <fmt/core.h>

#include <algorithm>

namespace yard::cli {

std::string MergeKnownHosts(std::string_view existing, const ssh::SshAddress& address,
                            const std::vector<std::string>& host_keys) {
  const std::string name = ssh::KnownHostsName(address);
  std::string merged;
  size_t start = 0;
  while (start < existing.size()) {
    size_t end = existing.find('\n', start);
    if (end == std::string_view::npos) end = existing.size();
    std::string_view line = existing.substr(start, end - start);
    start = end + 1;
    // The first field names the hosts; a line of ours names exactly one.
    std::string_view hosts = line.substr(0, line.find_first_of(" \t"));
    if (hosts == name) continue;
    merged.append(line);
    merged += '\n';
  }
  for (const std::string& key : host_keys) merged += ssh::KnownHostsLine(address, key) + "\n";
  return merged;
}

KeyCheck CheckKeys(const std::vector<std::string>& local_fingerprints,
                   const std::vector<std::string>& registered_fingerprints) {
  using Verdict = KeyCheck::Verdict;
  if (registered_fingerprints.empty()) {
    return {Verdict::kNoneServer,
            "your account has no SSH key, so the gateway cannot let you in: add your public "
            "key with `yard keys add` (it reads ~/.ssh/id_ed25519.pub by default; "
            "`ssh-keygen -t ed25519` makes one)"};
  }
  if (local_fingerprints.empty()) {
    return {Verdict::kNoneLocal,
            "no public key found in ~/.ssh/*.pub or in ssh-agent; if ssh finds none either, "
            "make one with `ssh-keygen -t ed25519` and add it with `yard keys add`"};
  }
  for (const std::string& local : local_fingerprints) {
    if (std::find(registered_fingerprints.begin(), registered_fingerprints.end(), local) !=
        registered_fingerprints.end()) {
      return {};
    }
  }
  std::string local_list;
  for (const std::string& local : local_fingerprints) {
    local_list += (local_list.empty() ? "" : ", ") + local;
  }
  return {Verdict::kUnmatched,
          fmt::format("none of your local keys ({}) is registered with the server, so ssh will "
                      "likely say \"Permission denied (publickey)\"; add one with `yard keys "
                      "add` (`yard keys list` shows the registered ones)",
                      local_list)};
}

}  // namespace yard::cli
