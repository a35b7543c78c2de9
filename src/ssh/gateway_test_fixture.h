#pragma once

// The fixture of the gateway tests (gateway_test.cc, gateway_terminal_test.cc): a gateway on
// loopback in front of the fakes of local_access_fake.h, client keys made once per suite,
// and the OpenSSH command line that reaches it with the gateway's host keys pinned.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/ssh_public_key.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/process.h"
#include "ssh/gateway.h"
#include "ssh/local_access_fake.h"
#include "testing/temp_dir.h"

namespace yard::ssh {

struct ClientKey {
  std::string path;  // the private key; its public half is path + ".pub"
  std::string fingerprint;
};

inline ClientKey MakeKey(const yard::testing::TempDir& dir, const std::string& name) {
  std::string path = dir.File(name);
  MUST(RunChecked({.argv = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                            path}}));
  auto key = MUST(auth::ParseSshPublicKey(MUST(fs::ReadFile(path + ".pub"))));
  return {path, key.fingerprint};
}

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new yard::testing::TempDir();
    alice_ = MakeKey(*keys_, "alice");
    bob_ = MakeKey(*keys_, "bob");
    stranger_ = MakeKey(*keys_, "stranger");
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }

  void SetUp() override {
    directory_.AddKey(alice_.fingerprint, {.user_id = 1, .name = "alice"});
    directory_.AddKey(bob_.fingerprint, {.user_id = 2, .name = "bob"});
    directory_.AddMember("shop", "alice");
    directory_.AddDeployment("shop", "dev",
                             {.service = "web",
                              .container_id = "web-container",
                              .service_ips = {{"web", "127.0.0.1"}, {"db", "127.0.0.1"}},
                              .services = {"web", "db"}});
  }

  void StartGateway(GatewayOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.host_keys_dir = keys_->File("host");
    gateway_ = std::make_unique<Gateway>(options, directory_, access_, nullptr, clock_);
    ASSERT_TRUE(gateway_->Start());
    std::string known;
    for (const HostKey& key : gateway_->host_keys()) {
      known += "[127.0.0.1]:" + std::to_string(gateway_->port()) + " " + key.public_line + "\n";
    }
    known_hosts_ = dir_.File("known_hosts");
    MUST(fs::AtomicWriteFile(known_hosts_, known, 0600));
  }

  void TearDown() override {
    if (gateway_) gateway_->Stop();
  }

  std::vector<std::string> SshArgv(const ClientKey& key, const std::string& user,
                                   std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"ssh", "-F", "/dev/null", "-i", key.path,
                                     "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                                     "-o", "UserKnownHostsFile=" + known_hosts_,
                                     "-o", "StrictHostKeyChecking=yes",
                                     "-o", "ConnectTimeout=20",
                                     "-p", std::to_string(gateway_->port())};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(user + "@127.0.0.1");
    return argv;
  }

  ProcessResult Ssh(const ClientKey& key, const std::string& user, std::vector<std::string> args,
                    std::optional<std::string> input = std::nullopt,
                    std::vector<std::string> options = {}) {
    std::vector<std::string> argv = SshArgv(key, user, std::move(options));
    argv.insert(argv.end(), args.begin(), args.end());
    return MUST(RunProcess(
        {.argv = argv, .stdin_data = std::move(input), .timeout = std::chrono::seconds(60)}));
  }

  static inline yard::testing::TempDir* keys_ = nullptr;
  static inline ClientKey alice_, bob_, stranger_;
  yard::testing::TempDir dir_;
  SystemClock clock_;
  testing::FakeDirectory directory_;
  testing::LocalAccess access_;
  std::unique_ptr<Gateway> gateway_;
  std::string known_hosts_;
};

}  // namespace yard::ssh
