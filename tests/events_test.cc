// The event log end to end on the real Podman engine through `yard events`: what the admin
// does to a deployment is there with their name, the platform's builds and phase changes
// beside it, and `yard events -f` prints what happens after it started.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "deployment_test_base.h"

namespace yard {
namespace {

class EventsTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("shop", "examples/hello");
  }

  // `yard events ARGS --json`: the API's document's events.
  std::vector<Json> Events(std::vector<std::string> args) {
    args.insert(args.begin(), "events");
    Json answer = Yard(args);
    std::vector<Json> out;
    for (const Json& event : answer["events"]) out.push_back(event);
    return out;
  }

  static const Json* Find(const std::vector<Json>& events, const std::string& kind) {
    for (const Json& event : events) {
      if (event["kind"] == kind) return &event;
    }
    return nullptr;
  }

  static std::string KindsOf(const std::vector<Json>& events) {
    std::string out;
    for (const Json& event : events) out += event["kind"].get<std::string>() + " ";
    return out;
  }

  // Reads the JSON lines `follower` prints until one has `kind`, or `timeout` passes.
  static std::optional<Json> FollowUntil(PipedProcess& follower, const std::string& kind,
                                         std::chrono::seconds timeout) {
    std::string pending;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd fd{.fd = follower.stdout_fd(), .events = POLLIN, .revents = 0};
      if (::poll(&fd, 1, 500) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::read(follower.stdout_fd(), buffer, sizeof buffer);
      if (n <= 0) break;  // it ended
      pending.append(buffer, static_cast<size_t>(n));
      for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
        Json json = Json::parse(pending.substr(0, end), nullptr, false);
        pending.erase(0, end + 1);
        if (!json.is_discarded() && json["kind"] == kind) return json;
      }
    }
    return std::nullopt;
  }
};

TEST_F(EventsTest, ActionsAndStatusChangesAreListedAndFollowed) {
  Json d = Yard({"deployments", "create", "shop/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  Yard({"deployments", "stop", "shop/dev"});
  // Stopped once the platform says so (stop has no --wait).
  auto stopped_by = std::chrono::steady_clock::now() + 120s;
  while (Events({"shop/dev", "--kind", "deployment.phase.stopped"}).empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), stopped_by) << "never stopped";
    std::this_thread::sleep_for(500ms);
  }
  Yard({"deployments", "start", "shop/dev", "--wait"});

  // The phase the last start led to is reported a moment after --wait saw it.
  std::vector<Json> events;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    events = Events({"shop/dev"});
    if (!events.empty() && events.back()["kind"] == "deployment.phase.running") break;
    std::this_thread::sleep_for(500ms);
  }
  for (const char* kind : {"deployment.created", "deployment.stopped", "deployment.started"}) {
    const Json* event = Find(events, kind);
    ASSERT_NE(event, nullptr) << kind << " missing from: " << KindsOf(events);
    EXPECT_EQ((*event)["actor"], "admin") << event->dump();
    EXPECT_EQ((*event)["project"], "shop");
    EXPECT_EQ((*event)["deployment"], "dev");
  }
  for (const char* kind : {"deployment.phase.running", "deployment.phase.stopped"}) {
    const Json* event = Find(events, kind);
    ASSERT_NE(event, nullptr) << kind << " missing from: " << KindsOf(events);
    EXPECT_TRUE((*event)["actor"].is_null()) << event->dump();
  }
  // In order: the stop came after the create, and the start after the stop's effect.
  auto index = [&](const std::string& kind) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i]["kind"] == kind) return static_cast<int>(i);
    }
    return -1;
  };
  EXPECT_LT(index("deployment.created"), index("deployment.stopped")) << KindsOf(events);
  EXPECT_LT(index("deployment.stopped"), index("deployment.phase.stopped")) << KindsOf(events);
  EXPECT_LT(index("deployment.phase.stopped"), index("deployment.started")) << KindsOf(events);
  EXPECT_EQ(events.back()["kind"], "deployment.phase.running") << KindsOf(events);

  // The build that made the first release, with its end.
  std::vector<Json> builds = Events({"shop", "--kind", "build."});
  EXPECT_NE(Find(builds, "build.queued"), nullptr) << KindsOf(builds);
  EXPECT_NE(Find(builds, "build.succeeded"), nullptr) << KindsOf(builds);
  for (const Json& event : builds) EXPECT_TRUE(event["kind"].get<std::string>().starts_with("build."));

  // Followed: an event that happens after the follower started is printed.
  auto follower = testing::StartYard(AsAdmin({"events", "-f", "-n", "1", "--json"}));
  ASSERT_TRUE(follower) << follower.error().message;
  Yard({"deployments", "restart", "shop/dev", "--wait"});
  std::optional<Json> restarted = FollowUntil(*follower, "deployment.restarted", 60s);
  EXPECT_TRUE(follower->Running()) << "yard events -f ended";
  follower->Kill(SIGTERM);
  EXPECT_TRUE(follower->Wait(10s));
  ASSERT_TRUE(restarted) << "yard events -f did not print the restart";
  EXPECT_EQ((*restarted)["actor"], "admin");
  EXPECT_EQ((*restarted)["deployment"], "dev");

  // People read the same in columns, the platform's events under "stackyard".
  ProcessResult human = testing::RunYardFor(30s, AsAdmin({"events", "shop/dev"}));
  ASSERT_EQ(human.exit_code, 0) << human.stderr_data;
  EXPECT_NE(human.stdout_data.find("admin"), std::string::npos) << human.stdout_data;
  EXPECT_NE(human.stdout_data.find("stackyard  deployment.phase.running"), std::string::npos)
      << human.stdout_data;
  EXPECT_NE(human.stdout_data.find("shop/dev"), std::string::npos) << human.stdout_data;

  // A bad query is refused with a reason.
  ProcessResult bad = testing::RunYardFor(30s, AsAdmin({"events", "--since", "yesterday"}));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.stderr_data.find("since"), std::string::npos) << bad.stderr_data;
}

}  // namespace
}  // namespace yard
