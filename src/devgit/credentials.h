#pragma once

// The Git credential of a development deployment: what its containers present to push to
// and fetch from their project (devgit/handler.h). It is derived, not stored: an HMAC, under
// a key kept in the data directory, of the deployment's identity (id, creation time and
// project). Every deployment gets its own; deleting the deployment revokes it (the handler
// finds no deployment to check it against); replacing the key file revokes all of them.
//
// The user name is the deployment's SSH name, "DEPLOYMENT.PROJECT", so a log line or a
// `git remote -v` says which deployment pushed.

#include <string>
#include <string_view>

#include "base/result.h"
#include "store/deployments.h"

namespace yard::devgit {

class Credentials {
 public:
  /// Reads the key from `path`, first creating it (32 random bytes as hex, mode 0600).
  /// kFailedPrecondition when the file is damaged.
  static Result<Credentials> Open(const std::string& path);
  /// A fixed key, for tests.
  static Credentials ForTesting(std::string key) { return Credentials(std::move(key)); }

  static std::string UserName(const store::Deployment& d);
  std::string Token(const store::Deployment& d) const;
  /// Whether `token` is `d`'s; takes the same time for every wrong guess.
  bool Verify(const store::Deployment& d, std::string_view token) const;

 private:
  explicit Credentials(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace yard::devgit
