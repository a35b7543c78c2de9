// Continuous delivery end to end, on the real Podman engine and Caddy: pushes to a followed
// branch (a mirrored project's fetch, a webhook) build and roll forward without a failed
// request; a broken push leaves the old version serving with the build's log; a newer push
// cancels the build in progress; a server killed during a build resumes it; rollback and
// promotion run earlier images without building; a build is held to its memory limit.

#include <openssl/hmac.h>

#include "edge_site_fixture.h"

namespace yard {
namespace {

class DeliveryTest : public EdgeSiteTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--drain", "1", "--proxy-timeout", "30", "--build-memory", "300m"};
  }

  Json Builds(const std::string& target) {
    return Yard({"builds", "list", target})["builds"];
  }

  // Polls `yard builds list` until the newest build of `target` satisfies `done`.
  Json WaitForBuild(const std::string& target, const std::function<bool(const Json&)>& done,
                    std::chrono::seconds limit = 10min) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    Json builds;
    while (std::chrono::steady_clock::now() < deadline) {
      builds = Builds(target);
      if (!builds.empty() && done(builds[0])) return builds[0];
      std::this_thread::sleep_for(500ms);
    }
    ADD_FAILURE() << "no build of " << target << " got there: " << builds.dump(2)
                  << "\nserver log:\n" << server_->log();
    return Json();
  }

  static bool Running(const Json& build) { return build["state"] == "running"; }
};

TEST_F(DeliveryTest, PushesRollForwardABrokenOneKeepsTheOldVersionAndRollbackBuildsNothing) {
  // A deployment on another branch, which pushes to main must leave alone.
  ShipDockerfile(Dockerfile("feature", true), 1'700'000'010, "feature");
  Json feature = Yard({"deployments", "create", "site/feature", "--stage", "production",
                       "--branch", "feature", "--wait"});
  ASSERT_EQ(feature["status"]["colour"], "green") << feature.dump(2);
  Json d = Yard({"deployments", "create", "site/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  HttpsTarget target = Target(AppHost(d));
  ASSERT_EQ(BodyWith(target, "/", "version 1"), "version 1\n");
  RequestLoop loop(target);

  // A push to main: built and rolled out, and the client never sees an error.
  ShipDockerfile(Dockerfile("2", true), 1'700'000'100);
  d = Yard({"deployments", "show", "site/prod", "--wait"});
  EXPECT_EQ(d["status"]["colour"], "green") << d.dump(2);
  EXPECT_TRUE(loop.WaitForMore("version 2\n", 10)) << loop.Report();
  Json builds = Builds("site/prod");
  ASSERT_EQ(builds.size(), 2u) << builds.dump(2);
  EXPECT_EQ(builds[0]["state"], "succeeded");
  EXPECT_NE(builds[0]["reason"].get<std::string>().find("push to main"), std::string::npos)
      << builds.dump(2);
  EXPECT_EQ(Builds("site/feature").size(), 1u) << "a push to main builds nothing on feature";
  EXPECT_EQ(BodyWith(Target(AppHost(feature)), "/", "version feature"), "version feature\n");

  // A push whose build fails: the build is failed with its log, version 2 keeps serving.
  ShipDockerfile(Dockerfile("3", true, "RUN echo the step that breaks && exit 3\n"),
                 1'700'000'200);
  Json failed = WaitForBuild("site/prod", [](const Json& b) { return b["state"] == "failed"; });
  EXPECT_FALSE(failed["error"].get<std::string>().empty()) << failed.dump(2);
  ProcessResult log = RunYardFor(60s, AsAdmin({"builds", "logs", "site/prod"}));
  EXPECT_NE(log.exit_code, 0) << "the logs of a failed build exit non-zero";
  EXPECT_NE(log.stdout_data.find("the step that breaks"), std::string::npos) << log.stdout_data;
  // The controller sees the failed build at its next pass: wait for that, boundedly.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    d = Yard({"deployments", "show", "site/prod"});
    if (d["status"]["build"]["state"] == "failed") break;
    std::this_thread::sleep_for(250ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(d["status"]["build"]["state"], "failed") << d.dump(2);
  EXPECT_EQ(d["status"]["colour"], "yellow") << d.dump(2);
  EXPECT_TRUE(loop.WaitForMore("version 2\n", 10)) << loop.Report();

  // Rollback to release 1: version 1 again, from its kept image, with no build.
  size_t builds_before = Builds("site/prod").size();
  Yard({"deployments", "rollback", "site/prod", "--to", "1", "--wait"});
  EXPECT_TRUE(loop.WaitForMore("version 1\n", 10)) << loop.Report();
  EXPECT_EQ(Builds("site/prod").size(), builds_before) << "a rollback builds nothing";
  Json releases = Yard({"deployments", "releases", "site/prod"})["releases"];
  ASSERT_GE(releases.size(), 3u) << releases.dump(2);
  EXPECT_EQ(releases[0]["kind"], "rollback");
  EXPECT_EQ(releases[0]["source"], "release 1");

  loop.Stop();
  EXPECT_TRUE(loop.failures().empty()) << EdgeLogs() << loop.Report();
}

TEST_F(DeliveryTest, NewerPushCancelsTheBuildInProgressAndAKilledServerResumesItsBuild) {
  Json d = Yard({"deployments", "create", "site/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  HttpsTarget target = Target(AppHost(d));

  // A slow build, then a newer push while it runs: the first is cancelled, the second runs.
  ShipDockerfile(Dockerfile("2", true, "RUN sleep 120\n"), 1'700'000'100);
  Json slow = WaitForBuild("site/prod", Running);
  ShipDockerfile(Dockerfile("3", true, "RUN sleep 8\n"), 1'700'000'200);
  Json cancelled;
  auto deadline = std::chrono::steady_clock::now() + 2min;
  while (std::chrono::steady_clock::now() < deadline) {
    cancelled = Yard({"builds", "show", "site/prod", std::to_string(slow["id"].get<int>())});
    if (cancelled["build"]["state"] != "running") break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(cancelled["build"]["state"], "cancelled") << cancelled.dump(2);
  EXPECT_NE(cancelled["build"]["error"].get<std::string>().find("superseded"), std::string::npos);
  EXPECT_EQ(BodyWith(target, "/", "version 3", 10min), "version 3\n") << server_->log();

  // The server is killed during a build: at the restart the build is interrupted, never left
  // running, and built again.
  ShipDockerfile(Dockerfile("4", true, "RUN sleep 10\n"), 1'700'000'300);
  Json cut = WaitForBuild("site/prod", Running);
  RestartServer(/*kill=*/true);
  Json resumed = WaitForBuild("site/prod", [&](const Json& b) {
    return b["id"] != cut["id"] && b["state"] == "succeeded";
  });
  EXPECT_NE(resumed["reason"].get<std::string>().find("resumed"), std::string::npos)
      << resumed.dump(2);
  Json was_cut = Yard({"builds", "show", "site/prod", std::to_string(cut["id"].get<int>())});
  EXPECT_EQ(was_cut["build"]["state"], "interrupted") << was_cut.dump(2);
  // The restarted server's edge listens on ports of its own.
  EXPECT_EQ(BodyWith(Target(AppHost(d)), "/", "version 4", 5min), "version 4\n");
}

TEST_F(DeliveryTest, PromotionRunsStagingsReleaseInProductionWithoutBuilding) {
  Json staging = Yard({"deployments", "create", "site/staging", "--stage", "staging", "--wait"});
  ASSERT_EQ(staging["status"]["colour"], "green") << staging.dump(2);
  Json prod = Yard({"deployments", "create", "site/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(prod["status"]["colour"], "green") << prod.dump(2);
  Yard({"deployments", "set", "site/prod", "--auto-deploy", "off"});

  // Pushes deploy to staging only.
  ShipDockerfile(Dockerfile("2", true), 1'700'000'100);
  staging = Yard({"deployments", "show", "site/staging", "--wait"});
  EXPECT_EQ(BodyWith(Target(AppHost(staging)), "/", "version 2"), "version 2\n");
  HttpsTarget prod_target = Target(AppHost(prod));
  EXPECT_EQ(BodyWith(prod_target, "/", "version 1"), "version 1\n");
  ASSERT_EQ(Builds("site/prod").size(), 1u);

  Yard({"deployments", "promote", "site/staging", "site/prod", "--wait"});
  EXPECT_EQ(BodyWith(prod_target, "/", "version 2"), "version 2\n");
  EXPECT_EQ(Builds("site/prod").size(), 1u) << "promotion builds nothing";
  Json releases = Yard({"deployments", "releases", "site/prod"})["releases"];
  ASSERT_EQ(releases.size(), 2u) << releases.dump(2);
  EXPECT_EQ(releases[0]["kind"], "promotion");
  EXPECT_NE(releases[0]["source"].get<std::string>().find("staging"), std::string::npos);
}

std::string HmacSha256Hex(const std::string& key, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

TEST_F(DeliveryTest, WebhookWithAWrongSignatureIsRefusedAndARightOneDeploys) {
  Json d = Yard({"deployments", "create", "site/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  Json hook = Yard({"projects", "webhook", "site", "--enable"});
  std::string secret = hook["secret"];
  ASSERT_FALSE(secret.empty()) << hook.dump(2);

  // The source moves on; only the webhook tells the server.
  git::testing::WriteFile(source_, "web/Dockerfile", Dockerfile("2", true));
  git::testing::CommitAll(source_, "version 2", 1'700'000'100);
  std::string head = git::testing::Git(source_, {"rev-parse", "HEAD"});
  head.erase(head.find_last_not_of("\n") + 1);
  std::string body = Json{{"ref", "refs/heads/main"},
                          {"before", std::string(40, '0')},
                          {"after", head},
                          {"repository", {{"full_name", "someone/site"}}}}
                         .dump();
  auto endpoint = MUST(http::Endpoint::Parse(server_->url()));
  auto send = [&](const std::string& signature, const std::string& delivery) {
    http::Client client(endpoint);
    return MUST(client.Send({.method = "POST",
                             .target = "/api/v1/projects/site/webhook",
                             .headers = {{"X-GitHub-Event", "push"},
                                         {"X-GitHub-Delivery", delivery},
                                         {"X-Hub-Signature-256", "sha256=" + signature}},
                             .body = body,
                             .content_type = "application/json"},
                            10s));
  };
  EXPECT_EQ(send(HmacSha256Hex("not the secret", body), "d-1").status, 401);
  EXPECT_EQ(Builds("site/prod").size(), 1u) << "a refused webhook builds nothing";

  EXPECT_EQ(send(HmacSha256Hex(secret, body), "d-2").status, 202);
  EXPECT_EQ(BodyWith(Target(AppHost(d)), "/", "version 2", 10min), "version 2\n")
      << server_->log();
  EXPECT_EQ(send(HmacSha256Hex(secret, body), "d-2").status, 200) << "a replay does nothing";
}

TEST_F(DeliveryTest, BuildIsHeldToItsMemoryLimitWhileDeploymentsKeepAnswering) {
  Json d = Yard({"deployments", "create", "site/prod", "--stage", "production", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  RequestLoop loop(Target(AppHost(d)));

  // The server runs with --build-memory 300m: a step that needs 600 MB is stopped.
  ShipDockerfile(Dockerfile("2", true,
                            "RUN perl -e '$x = \"a\" x 600_000_000; print length($x), \"\\n\"'\n"),
                 1'700'000'100);
  Json failed = WaitForBuild("site/prod", [](const Json& b) { return b["state"] == "failed"; });
  EXPECT_FALSE(failed.empty());
  EXPECT_TRUE(loop.WaitForMore("version 1\n", 10)) << loop.Report();
  loop.Stop();
  EXPECT_TRUE(loop.failures().empty()) << EdgeLogs() << loop.Report();
}

}  // namespace
}  // namespace yard
