#pragma once

// What a development deployment's containers are given so that `git pull` and `git push`
// work inside them (controller::DevGitAccess): the project's URL on the host's address on
// their network, under a fixed name in their /etc/hosts, and the deployment's credential,
// passed to git in the environment:
//
//   STACKYARD_GIT_URL=http://stackyard.internal:8418/shop.git   (also the checkout's origin)
//   GIT_CONFIG_COUNT=1
//   GIT_CONFIG_KEY_0=http.http://stackyard.internal:8418/.extraHeader
//   GIT_CONFIG_VALUE_0=Authorization: Basic ...
//
// Configuration by environment (git 2.31 and later) leaves the image and the user's own git
// config alone, and the header goes only to that URL.

#include <string>

#include "controller/context.h"
#include "devgit/credentials.h"
#include "devgit/listeners.h"

namespace yard::devgit {

inline constexpr std::string_view kHostAlias = "stackyard.internal";

class Access final : public controller::DevGitAccess {
 public:
  Access(Listeners& listeners, const Credentials& credentials)
      : listeners_(listeners), credentials_(credentials) {}

  Result<controller::DevGitSetup> Open(const store::Deployment& d,
                                       const std::string& gateway_ip) override;
  void Close(const std::string& gateway_ip) override { listeners_.Close(gateway_ip); }

 private:
  Listeners& listeners_;
  const Credentials& credentials_;
};

}  // namespace yard::devgit
