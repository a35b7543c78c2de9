// The dashboard in a real browser (docs/dashboard.md "Browser tests"): a real server with a
// real development deployment of tests/testdata/dashboard-site on Podman, and
// tests/browser/dashboard.test.mjs driving Debian's headless Chromium through playwright-core
// against it: sign in, the deployment turning green, followed logs, an env change that
// restarts the component, a clone and its deletion, sign-out, refused unauthenticated and
// cross-site requests. The script saves screenshots of the main pages (`make screenshots`
// copies them to docs/screenshots/). Every container is removed by the fixture, even when
// the script fails.

#include <cstdlib>
#include <iostream>

#include "base/process.h"
#include "deployment_test_base.h"

namespace yard {
namespace {

constexpr std::string_view kPassword = "browser-test-password-4711";

// An environment variable, or `fallback` when it is unset or empty.
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

class DashboardBrowserTest : public DeploymentTestBase {
 protected:
  // YARD_WEB_DIR=web serves the pages from the source tree (`yard server --web-dir`) instead of
  // those compiled in: for running the test while editing them.
  std::vector<std::string> ExtraArgs() override {
    std::string web_dir = EnvOr("YARD_WEB_DIR", "");
    if (web_dir.empty()) return {};
    return {"--web-dir", std::filesystem::absolute(web_dir).string()};
  }

  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("shop", "tests/testdata/dashboard-site");
  }

  // A request to the API with the admin's token.
  Result<http::Response> Api(const std::string& method, const std::string& path,
                             const std::string& body = "") {
    auto endpoint = MUST(http::Endpoint::Parse(server_->url()));
    http::Client client(endpoint);
    http::ClientRequest request{.method = method, .target = "/api/v1" + path, .body = body};
    request.headers.emplace_back("Authorization", "Bearer " + server_->admin_token());
    return client.Send(request, 60s);
  }
};

TEST_F(DashboardBrowserTest, SignInWatchFollowChangeCloneDeleteSignOut) {
  std::string browser_dir = std::string(YARD_SOURCE_DIR) + "/tests/browser";
  std::string chromium = EnvOr("YARD_CHROMIUM", "/usr/bin/chromium");
  ASSERT_TRUE(fs::Exists(chromium)) << chromium << " is missing: run scripts/setup";
  ASSERT_TRUE(fs::Exists(browser_dir + "/node_modules/playwright-core/package.json"))
      << "playwright-core is missing in " << browser_dir << ": run scripts/setup";

  // The admin signs in with a password, which the API sets.
  auto me = Api("GET", "/users/me");
  ASSERT_TRUE(me) << me.error().message;
  ASSERT_EQ(me->status, 200) << me->body;
  std::string username = Json::parse(me->body).value("name", "");
  ASSERT_FALSE(username.empty()) << me->body;
  auto set = Api("PUT", "/users/me/password", Json{{"password", kPassword}}.dump());
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_LT(set->status, 300) << set->body;

  // Not waited for: the browser sees it turn green.
  Yard({"deployments", "create", "shop/dev", "--stage", "development"}, 2min);

  std::string screenshots = EnvOr("YARD_SCREENSHOT_DIR", YARD_SCREENSHOT_DIR);
  std::filesystem::create_directories(screenshots);
  ProcessOptions options{
      .argv = {"node", browser_dir + "/dashboard.test.mjs"},
      .env = {{"YARD_URL", server_->url()},
              {"YARD_USERNAME", username},
              {"YARD_PASSWORD", std::string(kPassword)},
              {"YARD_TOKEN", server_->admin_token()},
              {"YARD_PROJECT", "shop"},
              {"YARD_DEPLOYMENT", "dev"},
              {"YARD_SCREENSHOT_DIR", screenshots},
              {"YARD_CHROMIUM", chromium}},
      .cwd = browser_dir,
      .timeout = 30min,
      .die_with_parent = true,
  };
  auto run = RunProcess(options);
  ASSERT_TRUE(run) << run.error().message;
  std::cout << run->stdout_data << (run->Succeeded() ? run->stderr_data : "") << std::flush;
  // The script's own report (which step failed, and why) comes last, after the server's log:
  // when the output is long, its end is what a reader sees first.
  EXPECT_TRUE(run->Succeeded()) << "server log:\n"
                                << server_->log() << "\nscreenshots in " << screenshots
                                << "\ndashboard.test.mjs " << run->Describe() << ":\n"
                                << run->stderr_data;
}

}  // namespace
}  // namespace yard
