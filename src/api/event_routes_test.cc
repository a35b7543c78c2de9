// GET /api/v1/events and …/deployments/{deployment}/events through the router, over the event
// log in an in-memory store: filters, access, bad parameters, events that user actions
// record, and a followed stream driven by hand.

#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "events/kinds.h"
#include "events/recorder.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;

class EventRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.events = &recorder_;
    services_.event_log = &recorder_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    store::User admin = MUST(users_.FindByName("admin"));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "stackyard.yaml", "version: 1\ncomponents:\n  - id: web\n    port: 8000\n");
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    shop_ = MUST(projects_.Create({"shop", source}, alice));
    blog_ = MUST(projects_.Create({"blog", source}, admin));
    dev_ = MUST(deployment_service_.Create(shop_, {.name = "dev", .stage = "development"}, alice));
    blog_dev_ =
        MUST(deployment_service_.Create(blog_, {.name = "dev", .stage = "development"}, admin));
  }

  void Record(const store::Deployment& d, std::string_view kind, std::string message = "m") {
    recorder_.Record(events::AboutDeployment(d, kind, std::move(message)));
  }

  static std::vector<std::string> Kinds(const Json& body) {
    std::vector<std::string> kinds;
    for (const Json& event : body["events"]) kinds.push_back(event["kind"]);
    return kinds;
  }

  std::vector<std::string> KindsOf(const std::string& target, const std::string& token) {
    http::Response response = Call("GET", target, token);
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    return Kinds(BodyOf(response));
  }

  // Drives a followed response's stream until it has said nothing new for a while.
  static std::vector<Json> Drain(http::Response& response) {
    std::vector<Json> lines;
    std::string chunk;
    for (int empty = 0; empty < 3;) {
      chunk.clear();
      EXPECT_TRUE(response.stream(chunk, false));
      if (chunk.empty()) {
        ++empty;
        continue;
      }
      size_t start = 0;
      for (size_t end; (end = chunk.find('\n', start)) != std::string::npos; start = end + 1) {
        if (end > start) lines.push_back(Json::parse(chunk.substr(start, end - start)));
      }
    }
    return lines;
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  events::Recorder recorder_{*db_, clock_};
  store::Project shop_;
  store::Project blog_;
  store::Deployment dev_;
  store::Deployment blog_dev_;
};

TEST_F(EventRoutesTest, ListsEventsWithEveryField) {
  store::User alice = MUST(users_.FindByName("alice"));
  events::Event event = events::AboutDeployment(dev_, events::kDeploymentStopped, "stopped",
                                                {{"version", 2}});
  event.actor_id = alice.id;
  recorder_.Record(event);
  http::Response response = Call("GET", "/api/v1/events", user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = BodyOf(response);
  ASSERT_EQ(body["events"].size(), 1u);
  Json e = body["events"][0];
  EXPECT_GT(e["id"].get<int64_t>(), 0);
  EXPECT_EQ(e["at"], "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(e["project"], "shop");
  EXPECT_EQ(e["deployment"], "dev");
  EXPECT_EQ(e["actor"], "alice");
  EXPECT_EQ(e["kind"], "deployment.stopped");
  EXPECT_EQ(e["message"], "stopped");
  EXPECT_EQ(e["data"]["version"], 2);
  EXPECT_EQ(body["cursor"], e["id"]);
}

TEST_F(EventRoutesTest, FiltersByProjectDeploymentKindTimeCursorAndLimit) {
  Record(dev_, "build.queued");
  clock_.Advance(std::chrono::hours(2));
  Record(dev_, "build.failed");
  Record(blog_dev_, "build.started");
  recorder_.Record(events::AboutProject(shop_, "project.pushed", "pushed"));

  EXPECT_EQ(KindsOf("/api/v1/events", admin_token_),
            (std::vector<std::string>{"build.queued", "build.failed", "build.started",
                                      "project.pushed"}));
  EXPECT_EQ(KindsOf("/api/v1/events?project=shop", admin_token_),
            (std::vector<std::string>{"build.queued", "build.failed", "project.pushed"}));
  EXPECT_EQ(KindsOf("/api/v1/events?project=shop&deployment=dev", admin_token_),
            (std::vector<std::string>{"build.queued", "build.failed"}));
  EXPECT_EQ(KindsOf("/api/v1/projects/blog/deployments/dev/events", admin_token_),
            (std::vector<std::string>{"build.started"}));
  EXPECT_EQ(KindsOf("/api/v1/events?kind=build.f", admin_token_),
            (std::vector<std::string>{"build.failed"}));
  EXPECT_EQ(KindsOf("/api/v1/events?since=1h", admin_token_),
            (std::vector<std::string>{"build.failed", "build.started", "project.pushed"}));
  EXPECT_EQ(KindsOf("/api/v1/events?limit=2", admin_token_),
            (std::vector<std::string>{"build.started", "project.pushed"}));

  Json first = BodyOf(Call("GET", "/api/v1/events?limit=1&after=0", admin_token_));
  EXPECT_EQ(Kinds(first), (std::vector<std::string>{"build.queued"}));
  Json next = BodyOf(Call("GET",
                          "/api/v1/events?limit=2&after=" + first["cursor"].dump(),
                          admin_token_));
  EXPECT_EQ(Kinds(next), (std::vector<std::string>{"build.failed", "build.started"}));
}

TEST_F(EventRoutesTest, UsersSeeOnlyTheirProjects) {
  Record(dev_, "shop.event");
  Record(blog_dev_, "blog.event");
  recorder_.Record(events::AboutInstallation("platform.event", "m"));
  // alice is a member of shop only; the admin sees everything.
  EXPECT_EQ(KindsOf("/api/v1/events", user_token_), (std::vector<std::string>{"shop.event"}));
  EXPECT_EQ(KindsOf("/api/v1/events", admin_token_).size(), 3u);
  // Another project's events are not found, as the project itself is not.
  http::Response other = Call("GET", "/api/v1/events?project=blog", user_token_);
  EXPECT_EQ(other.status, 404) << other.body;
  http::Response nested = Call("GET", "/api/v1/projects/blog/deployments/dev/events", user_token_);
  EXPECT_EQ(nested.status, 404) << nested.body;
  EXPECT_EQ(Call("GET", "/api/v1/events", "").status, 401);
}

TEST_F(EventRoutesTest, BadQueriesAreRefusedWithAReason) {
  struct Case {
    std::string target;
    std::string says;
  };
  for (const Case& bad : std::vector<Case>{
           {"/api/v1/events?limit=0", "limit"},
           {"/api/v1/events?limit=many", "limit"},
           {"/api/v1/events?after=-1", "after"},
           {"/api/v1/events?since=yesterday", "since"},
           {"/api/v1/events?kind=Build%25", "kind"},
           {"/api/v1/events?kind=", "kind"},
           {"/api/v1/events?follow=maybe", "follow"},
           {"/api/v1/events?deployment=dev", "needs 'project'"},
           {"/api/v1/events?project=no/such", "project"},
           {"/api/v1/projects/shop/deployments/dev/events?project=blog", "given by the path"},
       }) {
    http::Response response = Call("GET", bad.target, admin_token_);
    EXPECT_EQ(response.status, 400) << bad.target << ": " << response.body;
    EXPECT_NE(response.body.find(bad.says), std::string::npos) << bad.target << ": " << response.body;
  }
}

TEST_F(EventRoutesTest, DeploymentActionsAreRecordedWithTheCaller) {
  ASSERT_EQ(Call("POST", "/api/v1/projects/shop/deployments/dev/stop", user_token_).status, 202);
  ASSERT_EQ(Call("POST", "/api/v1/projects/shop/deployments/dev/start", user_token_).status, 202);
  // (Nothing runs without a controller, so the whole deployment: a service would be unknown.)
  ASSERT_EQ(Call("POST", "/api/v1/projects/shop/deployments/dev/restart", user_token_).status,
            202);
  // A refused request records nothing.
  EXPECT_EQ(Call("POST", "/api/v1/projects/shop/deployments/dev/restart", user_token_,
                 R"({"bogus": 1})").status,
            400);
  ASSERT_EQ(Call("POST", "/api/v1/projects/shop/deployments", user_token_,
                 R"({"name": "qa", "stage": "development"})").status,
            201);
  Json body = BodyOf(Call("GET", "/api/v1/events?project=shop", user_token_));
  EXPECT_EQ(Kinds(body), (std::vector<std::string>{"deployment.stopped", "deployment.started",
                                                   "deployment.restarted",
                                                   "deployment.created"}));
  for (const Json& event : body["events"]) EXPECT_EQ(event["actor"], "alice") << event;
  EXPECT_EQ(body["events"][2]["message"], "restarted");
  EXPECT_EQ(body["events"][3]["deployment"], "qa");
}

TEST_F(EventRoutesTest, FollowSendsWhatIsThereThenWhatComes) {
  Record(dev_, "before");
  http::Response response =
      Call("GET", "/api/v1/projects/shop/deployments/dev/events?follow=true", user_token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/x-ndjson");
  ASSERT_TRUE(response.stream);
  std::vector<Json> lines = Drain(response);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["kind"], "before");

  Record(blog_dev_, "elsewhere");
  Record(dev_, "after.one");
  Record(dev_, "after.two");
  lines = Drain(response);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["kind"], "after.one");
  EXPECT_EQ(lines[1]["kind"], "after.two");
  EXPECT_TRUE(Drain(response).empty());

  std::string chunk;
  EXPECT_FALSE(response.stream(chunk, /*stopping=*/true));
}

TEST_F(EventRoutesTest, FollowSendsAHeartbeatWhenIdle) {
  http::Response response = Call("GET", "/api/v1/events?follow=1", user_token_);
  ASSERT_TRUE(response.stream);
  std::string all;
  for (int i = 0; i < 200; ++i) {
    std::string chunk;
    ASSERT_TRUE(response.stream(chunk, false));
    all += chunk;
  }
  EXPECT_NE(all.find('\n'), std::string::npos);
  EXPECT_EQ(all.find_first_not_of('\n'), std::string::npos) << all;
}

}  // namespace
}  // namespace yard::api
