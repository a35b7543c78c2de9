#pragma once

// The fixture integration tests share: a fresh `yard server` per test, checked to be alive at
// the end, and helpers to run the client as a given user against it.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testing/yard_server.h"

namespace yard {

class ServerTestBase : public ::testing::Test {
 protected:
  /// Arguments added to `yard server`; override for a differently configured server.
  virtual std::vector<std::string> ExtraArgs() { return {}; }

  void SetUp() override {
    auto started = testing::YardServer::Start({.extra_args = ExtraArgs()});
    ASSERT_TRUE(started) << started.error().message;
    server_ = std::move(*started);
  }

  // Whatever a test did, the server must still be running.
  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->Running()) << "the server died:\n" << server_->log();
    }
  }

  /// `args` plus the global flags that point the client at this server with `token`.
  std::vector<std::string> As(const std::string& token, std::vector<std::string> args) {
    args.insert(args.end(), {"--server", server_->url(), "--token", token});
    return args;
  }
  std::vector<std::string> AsAdmin(std::vector<std::string> args) {
    return As(server_->admin_token(), std::move(args));
  }

  std::unique_ptr<testing::YardServer> server_;
};

}  // namespace yard
