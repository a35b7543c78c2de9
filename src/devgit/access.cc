#include "devgit/access.h"

#include <fmt/core.h>

#include "devgit/basic_auth.h"

namespace yard::devgit {

Result<controller::DevGitSetup> Access::Open(const store::Deployment& d,
                                             const std::string& gateway_ip) {
  TRY(listeners_.Listen(gateway_ip));
  std::string base = fmt::format("http://{}:{}/", kHostAlias, listeners_.port());
  controller::DevGitSetup setup;
  setup.url = fmt::format("{}{}.git", base, d.project);
  setup.extra_hosts = {fmt::format("{}:{}", kHostAlias, gateway_ip)};
  setup.env = {
      {"STACKYARD_GIT_URL", setup.url},
      {"GIT_CONFIG_COUNT", "1"},
      {"GIT_CONFIG_KEY_0", fmt::format("http.{}.extraHeader", base)},
      {"GIT_CONFIG_VALUE_0",
       "Authorization: " + BasicAuthorization(Credentials::UserName(d), credentials_.Token(d))},
  };
  return setup;
}

}  // namespace yard::devgit
