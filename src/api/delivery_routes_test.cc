// The delivery routes (branch settings, builds and their logs, releases, rollback, promotion),
// called through the router against an in-memory store and real repositories, without a
// controller: changes are only recorded.

#include <gtest/gtest.h>

#include <fmt/core.h>

#include "api/api_fixture.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

constexpr const char* kStack = R"(version: 1
components:
  - id: web
    port: 8000
)";

class DeliveryRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    ApiFixture::SetUp();
    alice_ = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));

    // main: two commits; next: one more. The default stages: development (dev), staging and
    // production (built).
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source, "stackyard.yaml", kStack);
    first_ = gt::CommitAll(source, "first", 1'700'000'000);
    gt::WriteFile(source, "web/app.txt", "second\n");
    second_ = gt::CommitAll(source, "second", 1'700'000'100);
    gt::Git(source, {"checkout", "-q", "-b", "next"});
    gt::WriteFile(source, "web/app.txt", "next\n");
    next_ = gt::CommitAll(source, "next", 1'700'000'200);
    gt::Git(source, {"checkout", "-q", "main"});

    // shop is alice's; blog is the admin's, and alice is not a member.
    shop_ = MUST(projects_.Create({"shop", source}, alice_));
    store::Project blog = MUST(projects_.Create({"blog", source}, admin));
    staging_ =
        MUST(deployment_service_.Create(shop_, {.name = "staging", .stage = "staging"}, alice_));
    prod_ =
        MUST(deployment_service_.Create(shop_, {.name = "prod", .stage = "production"}, alice_));
    dev_ = MUST(deployment_service_.Create(shop_, {.name = "dev", .stage = "development"}, alice_));
    MUST(deployment_service_.Create(blog, {.name = "prod", .stage = "production"}, admin));
  }

  static std::string Path(const std::string& deployment, const std::string& rest = "") {
    size_t slash = deployment.find('/');
    return "/api/v1/projects/" + deployment.substr(0, slash) + "/deployments/" +
           deployment.substr(slash + 1) + rest;
  }

  http::Response As(const std::string& method, const std::string& target,
                    const Json& body = nullptr) {
    return Call(method, target, user_token_, body.is_null() ? "" : body.dump());
  }

  static std::string Message(const http::Response& response) {
    return BodyOf(response)["error"]["message"].get<std::string>();
  }

  // A release made by a build of `commit` (as the controller records one).
  store::Release Built(const store::Deployment& d, const std::string& commit) {
    std::map<std::string, std::string> images = {
        {"web", "localhost/stackyard/x/shop/web:" + commit.substr(0, 12)}};
    return MUST(release_store_.Activate({.deployment_id = d.id,
                                         .commit = commit,
                                         .images = images,
                                         .kind = store::ReleaseKind::kBuild,
                                         .created_by = alice_.id},
                                        /*retarget=*/false));
  }

  void WriteLog(int64_t build, const std::string& text) {
    gt::WriteFile(services_.build_logs_dir, std::to_string(build) + ".log", text);
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  store::User alice_;
  store::Project shop_;
  store::Deployment staging_;
  store::Deployment prod_;
  store::Deployment dev_;
  std::string first_;
  std::string second_;
  std::string next_;
};

TEST_F(DeliveryRoutesTest, TheDeploymentViewSaysWhatItFollows) {
  Json view = BodyOf(As("GET", Path("shop/staging")));
  EXPECT_EQ(view["branch"], "main");
  EXPECT_EQ(view["auto_deploy"], true);
  EXPECT_EQ(view["target_commit"], second_);
  EXPECT_TRUE(view["status"].contains("build"));
  EXPECT_TRUE(view["status"]["build"].is_null());  // no controller: nothing observed
}

TEST_F(DeliveryRoutesTest, PatchChangesTheBranchAndAutoDeploy) {
  auto patched = As("PATCH", Path("shop/staging"), {{"branch", "next"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  Json view = BodyOf(patched);
  EXPECT_EQ(view["branch"], "next");
  EXPECT_EQ(view["target_commit"], next_);
  EXPECT_EQ(view["followed_commit"], next_);
  EXPECT_EQ(view["version"], staging_.version + 1);

  // The new head is queued for a build, in the caller's name.
  Json builds = BodyOf(As("GET", Path("shop/staging", "/builds")))["builds"];
  ASSERT_EQ(builds.size(), 1u) << builds.dump();
  EXPECT_EQ(builds[0]["commit"], next_);
  EXPECT_EQ(builds[0]["state"], "queued");
  EXPECT_EQ(builds[0]["reason"], "now follows next");
  EXPECT_EQ(builds[0]["requested_by"], "alice");
  EXPECT_EQ(builds[0]["queue_position"], 1);

  patched = As("PATCH", Path("shop/staging"), {{"auto_deploy", false}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(BodyOf(patched)["auto_deploy"], false);
  EXPECT_EQ(BodyOf(patched)["branch"], "next");
  // The same settings again change nothing.
  patched = As("PATCH", Path("shop/staging"), {{"branch", "next"}, {"auto_deploy", false}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(BodyOf(As("GET", Path("shop/staging", "/builds")))["builds"].size(), 1u);
}

TEST_F(DeliveryRoutesTest, PatchValidatesItsBody) {
  auto unknown = As("PATCH", Path("shop/staging"), {{"branch", "next"}, {"autodeploy", true}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Message(unknown), "unknown field 'autodeploy'");
  auto not_bool = As("PATCH", Path("shop/staging"), {{"auto_deploy", "off"}});
  EXPECT_EQ(not_bool.status, 400);
  EXPECT_EQ(Message(not_bool), "'auto_deploy' must be true or false");
  EXPECT_EQ(As("PATCH", Path("shop/staging"), {{"branch", 7}}).status, 400);

  for (const char* bad : {"nope", "../main", "-main", "refs/heads/main", ""}) {
    auto branch = As("PATCH", Path("shop/staging"), {{"branch", bad}});
    EXPECT_EQ(branch.status, 400) << bad;
    EXPECT_EQ(Message(branch),
              fmt::format("project 'shop' has no branch '{}'; branches: main, next", bad));
  }
  // A development deployment's work is in its code volume, on its branch.
  auto dev = As("PATCH", Path("shop/dev"), {{"branch", "next"}});
  EXPECT_EQ(dev.status, 409);
  EXPECT_NE(Message(dev).find("development deployment"), std::string::npos) << dev.body;
  // ... but it may stop following pushes.
  EXPECT_EQ(As("PATCH", Path("shop/dev"), {{"auto_deploy", false}}).status, 200);

  // Nothing was changed by the refused requests, and nothing was queued.
  Json view = BodyOf(As("GET", Path("shop/staging")));
  EXPECT_EQ(view["branch"], "main");
  EXPECT_EQ(view["auto_deploy"], true);
  EXPECT_EQ(BodyOf(As("GET", Path("shop/dev")))["branch"], "main");
  EXPECT_TRUE(BodyOf(As("GET", Path("shop/staging", "/builds")))["builds"].empty());

  // Other projects' deployments do not exist for alice.
  EXPECT_EQ(As("PATCH", Path("blog/prod"), {{"auto_deploy", false}}).status, 404);
}

TEST_F(DeliveryRoutesTest, ListsAndShowsBuilds) {
  store::BuildRecord first =
      MUST(build_store_.Enqueue(staging_.id, first_, 0, "created", alice_.id));
  MUST(build_store_.ClaimNext());
  MUST(build_store_.Finish(first.id, store::BuildState::kFailed, "web: step 3 failed", {}));
  store::BuildRecord second =
      MUST(build_store_.Enqueue(staging_.id, second_, 0, "push to main: second", std::nullopt));
  store::BuildRecord other = MUST(build_store_.Enqueue(prod_.id, second_, 0, "created", alice_.id));

  Json builds = BodyOf(As("GET", Path("shop/staging", "/builds")))["builds"];
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_EQ(builds[0]["id"], second.id);
  EXPECT_EQ(builds[0]["state"], "queued");
  EXPECT_TRUE(builds[0]["requested_by"].is_null());  // the platform
  EXPECT_EQ(builds[0]["queue_position"], 1);
  EXPECT_TRUE(builds[0]["started_at"].is_null());
  EXPECT_EQ(builds[0]["queued_at"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(builds[1]["id"], first.id);
  EXPECT_EQ(builds[1]["state"], "failed");
  EXPECT_EQ(builds[1]["error"], "web: step 3 failed");
  EXPECT_EQ(builds[1]["requested_by"], "alice");
  EXPECT_TRUE(builds[1]["queue_position"].is_null());
  EXPECT_TRUE(builds[1]["finished_at"].is_string());
  EXPECT_EQ(BodyOf(As("GET", Path("shop/prod", "/builds")))["builds"][0]["queue_position"], 2);

  Json limited = BodyOf(As("GET", Path("shop/staging", "/builds?limit=1")))["builds"];
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0]["id"], second.id);
  for (const char* bad : {"0", "101", "x", "-1", ""}) {
    EXPECT_EQ(As("GET", Path("shop/staging", std::string("/builds?limit=") + bad)).status, 400)
        << bad;
  }

  auto shown = As("GET", Path("shop/staging", fmt::format("/builds/{}", first.id)));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(BodyOf(shown)["build"], builds[1]);
  // Another deployment's build, or no build: 404.
  EXPECT_EQ(As("GET", Path("shop/staging", fmt::format("/builds/{}", other.id))).status, 404);
  EXPECT_EQ(As("GET", Path("shop/staging", "/builds/999")).status, 404);
  EXPECT_EQ(As("GET", Path("shop/staging", "/builds/abc")).status, 404);
  EXPECT_EQ(As("GET", Path("blog/prod", "/builds")).status, 404);
}

TEST_F(DeliveryRoutesTest, ReadsLogsFromAnOffset) {
  store::BuildRecord build =
      MUST(build_store_.Enqueue(staging_.id, second_, 0, "created", alice_.id));
  std::string log_path = Path("shop/staging", fmt::format("/builds/{}/log", build.id));

  // Queued: no log yet.
  Json answer = BodyOf(As("GET", log_path));
  EXPECT_EQ(answer["log"], "");
  EXPECT_EQ(answer["offset"], 0);
  EXPECT_EQ(answer["finished"], false);
  EXPECT_EQ(answer["build"]["state"], "queued");

  MUST(build_store_.ClaimNext());
  // "é" is two bytes; the build has written only the first so far.
  WriteLog(build.id, "step 1\nstep 2: caf\xC3");
  answer = BodyOf(As("GET", log_path));
  EXPECT_EQ(answer["log"], "step 1\nstep 2: caf");
  EXPECT_EQ(answer["offset"], 18);
  EXPECT_EQ(answer["finished"], false);
  answer = BodyOf(As("GET", log_path + "?offset=7"));
  EXPECT_EQ(answer["log"], "step 2: caf");
  EXPECT_EQ(answer["offset"], 18);

  // Nothing new past the offset: with wait, it waits (up to a second here) and answers
  // with nothing.
  answer = BodyOf(As("GET", log_path + "?offset=18&wait=1"));
  EXPECT_EQ(answer["log"], "");
  EXPECT_EQ(answer["offset"], 18);
  EXPECT_EQ(answer["finished"], false);

  WriteLog(build.id, "step 1\nstep 2: caf\xC3\xA9\ndone\n");
  MUST(build_store_.Finish(build.id, store::BuildState::kSucceeded, "", {{"web", "img"}}));
  answer = BodyOf(As("GET", log_path + "?offset=18&wait=25"));  // finished: no waiting
  EXPECT_EQ(answer["log"], "\xC3\xA9\ndone\n");
  EXPECT_EQ(answer["offset"], 26);
  EXPECT_EQ(answer["finished"], true);
  EXPECT_EQ(answer["build"]["state"], "succeeded");
  answer = BodyOf(As("GET", log_path + "?offset=26"));
  EXPECT_EQ(answer["log"], "");
  EXPECT_EQ(answer["finished"], true);

  auto past = As("GET", log_path + "?offset=27");
  EXPECT_EQ(past.status, 400);
  EXPECT_EQ(Message(past), "offset 27 is past the end of the log (26 bytes)");
  EXPECT_EQ(As("GET", log_path + "?offset=-1").status, 400);
  EXPECT_EQ(As("GET", log_path + "?wait=26").status, 400);
  EXPECT_EQ(As("GET", Path("shop/prod", fmt::format("/builds/{}/log", build.id))).status, 404);
}

TEST_F(DeliveryRoutesTest, LongLogsComeInPieces) {
  store::BuildRecord build =
      MUST(build_store_.Enqueue(staging_.id, second_, 0, "created", alice_.id));
  MUST(build_store_.ClaimNext());
  MUST(build_store_.Finish(build.id, store::BuildState::kFailed, "web: out of memory", {}));
  std::string text(1536 * 1024, 'x');
  WriteLog(build.id, text);
  std::string log_path = Path("shop/staging", fmt::format("/builds/{}/log", build.id));

  Json first = BodyOf(As("GET", log_path));
  EXPECT_EQ(first["log"].get<std::string>().size(), 1024u * 1024);
  EXPECT_EQ(first["offset"], 1024 * 1024);
  EXPECT_EQ(first["finished"], false);  // finished, but there is more to read
  Json rest = BodyOf(As("GET", log_path + "?offset=1048576"));
  EXPECT_EQ(rest["log"].get<std::string>().size(), 512u * 1024);
  EXPECT_EQ(rest["offset"], 1536 * 1024);
  EXPECT_EQ(rest["finished"], true);
  EXPECT_EQ(rest["build"]["state"], "failed");
}

TEST_F(DeliveryRoutesTest, CancelsAQueuedBuild) {
  store::BuildRecord build =
      MUST(build_store_.Enqueue(staging_.id, second_, 0, "created", std::nullopt));
  std::string cancel = Path("shop/staging", fmt::format("/builds/{}/cancel", build.id));
  auto cancelled = As("POST", cancel);
  ASSERT_EQ(cancelled.status, 202) << cancelled.body;
  EXPECT_EQ(BodyOf(cancelled)["build"]["state"], "cancelled");
  EXPECT_EQ(BodyOf(cancelled)["build"]["error"], "cancelled by alice");
  EXPECT_TRUE(BodyOf(cancelled)["build"]["finished_at"].is_string());

  auto again = As("POST", cancel);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Message(again), fmt::format("build {} has finished already (cancelled)", build.id));
  EXPECT_EQ(As("POST", Path("shop/prod", fmt::format("/builds/{}/cancel", build.id))).status, 404);
  EXPECT_EQ(As("POST", Path("shop/staging", "/builds/999/cancel")).status, 404);
}

TEST_F(DeliveryRoutesTest, RebuildQueuesABuildInTheCallersName) {
  auto rebuilt = As("POST", Path("shop/staging", "/rebuild"));
  ASSERT_EQ(rebuilt.status, 202) << rebuilt.body;
  Json builds = BodyOf(As("GET", Path("shop/staging", "/builds")))["builds"];
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_EQ(builds[0]["reason"], "rebuild");
  EXPECT_EQ(builds[0]["commit"], second_);
  EXPECT_EQ(builds[0]["requested_by"], "alice");
}

TEST_F(DeliveryRoutesTest, ListsReleasesAndMarksTheOneThatRuns) {
  EXPECT_TRUE(BodyOf(As("GET", Path("shop/staging", "/releases")))["releases"].empty());
  Built(staging_, first_);
  Built(staging_, second_);

  Json releases = BodyOf(As("GET", Path("shop/staging", "/releases")))["releases"];
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0]["number"], 2);
  EXPECT_EQ(releases[0]["commit"], second_);
  EXPECT_EQ(releases[0]["kind"], "build");
  EXPECT_EQ(releases[0]["created_by"], "alice");
  EXPECT_EQ(releases[0]["current"], true);
  EXPECT_EQ(releases[0]["images"]["web"],
            "localhost/stackyard/x/shop/web:" + second_.substr(0, 12));
  EXPECT_TRUE(releases[0]["source"].is_null());
  EXPECT_EQ(releases[1]["number"], 1);
  EXPECT_EQ(releases[1]["current"], false);

  Json limited = BodyOf(As("GET", Path("shop/staging", "/releases?limit=1")))["releases"];
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0]["number"], 2);
  EXPECT_EQ(As("GET", Path("shop/staging", "/releases?limit=0")).status, 400);
  EXPECT_EQ(As("GET", Path("blog/prod", "/releases")).status, 404);
}

TEST_F(DeliveryRoutesTest, RollsBackWithoutBuilding) {
  auto nothing = As("POST", Path("shop/staging", "/rollback"));
  EXPECT_EQ(nothing.status, 409);
  EXPECT_EQ(Message(nothing), "deployment 'staging' has no earlier release to roll back to");
  Built(staging_, first_);
  Built(staging_, second_);

  auto rolled = As("POST", Path("shop/staging", "/rollback"));
  ASSERT_EQ(rolled.status, 202) << rolled.body;
  Json release = BodyOf(rolled)["release"];
  EXPECT_EQ(release["number"], 3);
  EXPECT_EQ(release["kind"], "rollback");
  EXPECT_EQ(release["source"], "release 1");
  EXPECT_EQ(release["commit"], first_);
  EXPECT_EQ(release["created_by"], "alice");
  EXPECT_EQ(release["current"], true);
  Json deployment = BodyOf(rolled)["deployment"];
  EXPECT_EQ(deployment["name"], "staging");
  EXPECT_EQ(deployment["commit"], first_);
  EXPECT_EQ(deployment["target_commit"], first_);
  // The branch is still followed: the next push rolls forward.
  EXPECT_EQ(deployment["followed_commit"], second_);
  EXPECT_EQ(deployment["version"], staging_.version + 1);
  EXPECT_TRUE(BodyOf(As("GET", Path("shop/staging", "/builds")))["builds"].empty());

  // Release 1 has the same commit and images, but 3 is the one that runs.
  Json releases = BodyOf(As("GET", Path("shop/staging", "/releases")))["releases"];
  ASSERT_EQ(releases.size(), 3u);
  EXPECT_EQ(releases[0]["current"], true);
  EXPECT_EQ(releases[1]["current"], false);
  EXPECT_EQ(releases[2]["current"], false);

  // A named release.
  rolled = As("POST", Path("shop/staging", "/rollback"), {{"release", 2}});
  ASSERT_EQ(rolled.status, 202) << rolled.body;
  EXPECT_EQ(BodyOf(rolled)["release"]["commit"], second_);
  EXPECT_EQ(BodyOf(rolled)["release"]["source"], "release 2");

  EXPECT_EQ(As("POST", Path("shop/staging", "/rollback"), {{"release", 9}}).status, 404);
  EXPECT_EQ(As("POST", Path("shop/staging", "/rollback"), {{"release", 0}}).status, 400);
  EXPECT_EQ(As("POST", Path("shop/staging", "/rollback"), {{"release", "1"}}).status, 400);
  EXPECT_EQ(As("POST", Path("shop/staging", "/rollback"), {{"to", 1}}).status, 400);
  EXPECT_EQ(As("POST", Path("blog/prod", "/rollback")).status, 404);
}

TEST_F(DeliveryRoutesTest, PromotesAReleaseWithinTheProject) {
  auto nothing = As("POST", Path("shop/prod", "/promote"), {{"from", "staging"}});
  EXPECT_EQ(nothing.status, 409);
  EXPECT_EQ(Message(nothing), "deployment 'staging' has no release to promote");
  Built(staging_, first_);
  Built(staging_, second_);

  auto promoted = As("POST", Path("shop/prod", "/promote"), {{"from", "staging"}});
  ASSERT_EQ(promoted.status, 202) << promoted.body;
  Json release = BodyOf(promoted)["release"];
  EXPECT_EQ(release["number"], 1);
  EXPECT_EQ(release["kind"], "promotion");
  EXPECT_EQ(release["source"], "staging release 2");
  EXPECT_EQ(release["commit"], second_);
  EXPECT_EQ(release["images"]["web"], "localhost/stackyard/x/shop/web:" + second_.substr(0, 12));
  EXPECT_EQ(release["current"], true);
  EXPECT_EQ(BodyOf(promoted)["deployment"]["name"], "prod");
  EXPECT_EQ(BodyOf(promoted)["deployment"]["commit"], second_);

  promoted = As("POST", Path("shop/prod", "/promote"), {{"from", "staging"}, {"release", 1}});
  ASSERT_EQ(promoted.status, 202) << promoted.body;
  EXPECT_EQ(BodyOf(promoted)["release"]["commit"], first_);
  EXPECT_EQ(BodyOf(promoted)["release"]["source"], "staging release 1");
  EXPECT_EQ(BodyOf(As("GET", Path("shop/prod", "/releases")))["releases"].size(), 2u);

  // Errors: a release that does not exist, another project's deployment, the deployment
  // itself, a development deployment on either side.
  EXPECT_EQ(As("POST", Path("shop/prod", "/promote"), {{"from", "staging"}, {"release", 7}}).status,
            404);
  auto other_project = As("POST", Path("shop/prod", "/promote"), {{"from", "blog/prod"}});
  EXPECT_EQ(other_project.status, 400);
  EXPECT_NE(Message(other_project).find("within a project"), std::string::npos);
  EXPECT_EQ(As("POST", Path("shop/prod", "/promote"), {{"from", "nope"}}).status, 404);
  EXPECT_EQ(As("POST", Path("shop/prod", "/promote")).status, 400);  // 'from' is required
  EXPECT_EQ(As("POST", Path("shop/prod", "/promote"), {{"from", "staging"}, {"x", 1}}).status, 400);
  EXPECT_EQ(As("POST", Path("shop/staging", "/promote"), {{"from", "staging"}}).status, 400);
  auto to_dev = As("POST", Path("shop/dev", "/promote"), {{"from", "staging"}});
  EXPECT_EQ(to_dev.status, 409);
  EXPECT_NE(Message(to_dev).find("development deployment"), std::string::npos) << to_dev.body;
  Built(dev_, first_);
  auto from_dev = As("POST", Path("shop/prod", "/promote"), {{"from", "dev"}});
  EXPECT_EQ(from_dev.status, 409);
  EXPECT_NE(Message(from_dev).find("development deployment"), std::string::npos) << from_dev.body;
  EXPECT_EQ(As("POST", Path("blog/prod", "/promote"), {{"from", "staging"}}).status, 404);
  // None of the refusals changed what prod runs.
  EXPECT_EQ(BodyOf(As("GET", Path("shop/prod")))["commit"], first_);
}

TEST_F(DeliveryRoutesTest, FollowsABuildsLogUntilItEnds) {
  store::BuildRecord build =
      MUST(build_store_.Enqueue(staging_.id, second_, 0, "created", alice_.id));
  std::string log_path = Path("shop/staging", fmt::format("/builds/{}/log?follow=true", build.id));
  http::Response response = As("GET", log_path);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/x-ndjson");
  ASSERT_TRUE(response.stream);
  auto poll = [&response](bool expect_more = true) {
    std::string chunk;
    EXPECT_EQ(response.stream(chunk, false), expect_more);
    return chunk;
  };
  EXPECT_EQ(poll(), "");  // queued: no log yet

  MUST(build_store_.ClaimNext());
  WriteLog(build.id, "step 1\ncaf\xC3");  // half of "é"
  EXPECT_EQ(poll(), "{\"text\":\"step 1\\ncaf\"}\n");
  EXPECT_EQ(poll(), "");
  WriteLog(build.id, "step 1\ncaf\xC3\xA9\ndone\n");
  MUST(build_store_.Finish(build.id, store::BuildState::kFailed, "exit 1", {}));
  EXPECT_EQ(poll(false),
            "{\"text\":\"\xC3\xA9\\ndone\\n\"}\n{\"done\":true,\"state\":\"failed\"}\n");

  // A finished build's log, followed: all of it, and the end.
  http::Response again = As("GET", log_path);
  std::string chunk;
  EXPECT_FALSE(again.stream(chunk, false));
  EXPECT_EQ(chunk, "{\"text\":\"step 1\\ncaf\xC3\xA9\\ndone\\n\"}\n"
                   "{\"done\":true,\"state\":\"failed\"}\n");

  // As Server-Sent Events, for EventSource.
  http::Request request{.method = "GET", .target = log_path};
  ASSERT_TRUE(http::ParseTarget(log_path, request.path, request.query));
  request.headers["authorization"] = "Bearer " + user_token_;
  request.headers["accept"] = "text/event-stream";
  http::Response events = router_.Handle(request);
  EXPECT_EQ(events.content_type, "text/event-stream");
  chunk.clear();
  EXPECT_FALSE(events.stream(chunk, false));
  EXPECT_EQ(chunk, "data: {\"text\":\"step 1\\ncaf\xC3\xA9\\ndone\\n\"}\n\n"
                   "data: {\"done\":true,\"state\":\"failed\"}\n\n"
                   "event: end\ndata: {}\n\n");

  EXPECT_EQ(As("GET", log_path + "&offset=99").status, 400);
  EXPECT_EQ(As("GET", Path("shop/staging", "/builds/999/log?follow=true")).status, 404);
  EXPECT_EQ(As("GET", Path("shop/prod", fmt::format("/builds/{}/log?follow=true", build.id))).status,
            404);
}

}  // namespace
}  // namespace yard::api
