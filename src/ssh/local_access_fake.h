#pragma once

// Fakes for gateway tests: a Directory held in memory, and a ContainerAccess whose
// "containers" are the test machine itself — commands run as local processes (pipes, or a
// pseudo-terminal for TTY sessions), dials go to loopback. Real processes keep the tests
// honest about EOF, exit status, signals and backpressure.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ssh/container_access.h"
#include "ssh/directory.h"

namespace yard::ssh::testing {

class FakeDirectory final : public Directory {
 public:
  /// A key (by fingerprint) of `account`.
  void AddKey(const std::string& fingerprint, Account account);
  /// `user` may reach `project`.
  void AddMember(const std::string& project, const std::string& user);
  /// Deployment `name.project` exists, its sessions run in `located`.
  void AddDeployment(const std::string& project, const std::string& name, Located located);

  Result<std::optional<Account>> FindKey(const std::string& fingerprint, const std::string& type,
                                         const std::string& base64) override;
  Status Authorize(const Account& account, const SshTarget& target) override;
  Result<Located> Locate(const Account& account, const SshTarget& target) override;
  void KeyUsed(const std::string& fingerprint) override;

  int keys_used() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Account> keys_;
  std::set<std::pair<std::string, std::string>> members_;
  std::map<std::string, Located> deployments_;  // "name.project"
  int keys_used_ = 0;
};

class LocalAccess final : public ContainerAccess {
 public:
  Result<std::unique_ptr<SessionProcess>> Exec(const ExecRequest& request) override;
  Result<UniqueFd> Dial(const std::string& container_id, const std::string& ip, int port,
                        std::chrono::milliseconds timeout) override;

  /// Every exec request seen, in order.
  std::vector<ExecRequest> requests() const;

 private:
  mutable std::mutex mutex_;
  std::vector<ExecRequest> requests_;
};

}  // namespace yard::ssh::testing
