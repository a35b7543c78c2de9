// Logs that outlive containers, end to end on the real Podman engine through `yard logs`: a
// replaced container's lines stay (and are what --previous shows), `yard logs -f` goes on
// with the new container's lines, and a server killed and started again keeps every line
// once, going on with the new ones.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <set>
#include <tuple>

#include "deployment_test_base.h"

namespace yard {
namespace {

class LogsTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("hello", "examples/hello");
  }

  // `yard logs ARGS --json`: one JSON object per line.
  std::vector<Json> Logs(std::vector<std::string> args) {
    args.insert(args.begin(), "logs");
    args.push_back("--json");
    ProcessResult result = RunYardFor(kWait, AsAdmin(args));
    EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
    std::vector<Json> lines;
    for (const std::string& line : Lines(result.stdout_data)) {
      Json json = Json::parse(line, nullptr, false);
      EXPECT_FALSE(json.is_discarded()) << line;
      if (!json.is_discarded()) lines.push_back(std::move(json));
    }
    return lines;
  }

  // Reads the JSON lines `follower` prints until one is from a container other than
  // `container`, or `timeout` passes. Returns every line read.
  static std::vector<Json> FollowUntilAnotherContainer(PipedProcess& follower,
                                                       const std::string& container,
                                                       std::chrono::seconds timeout) {
    std::vector<Json> lines;
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
        if (json.is_discarded()) continue;
        lines.push_back(json);
        if (json.value("container", "") != container) return lines;
      }
    }
    return lines;
  }

  static std::set<std::string> Containers(const std::vector<Json>& lines) {
    std::set<std::string> out;
    for (const Json& line : lines) out.insert(line["container"].get<std::string>());
    return out;
  }
};

TEST_F(LogsTest, ReplacedContainersKeepTheirLinesAcrossAServerKill) {
  Json d = Yard({"deployments", "create", "hello/dev", "--stage", "development", "--wait"});
  ASSERT_EQ(d["status"]["colour"], "green") << d.dump(2);
  PageWith(WebAddress(d), "Hello from Stackyard");

  // The dev server's start-up lines are there, with the container that wrote them.
  std::vector<Json> first = Logs({"hello/dev", "web"});
  ASSERT_FALSE(first.empty());
  bool running_on = false;
  for (const Json& line : first) {
    running_on |= line["text"].get<std::string>().find("Running on") != std::string::npos;
    EXPECT_EQ(line["service"], "web");
  }
  EXPECT_TRUE(running_on);
  ASSERT_EQ(Containers(first).size(), 1u);
  std::string old_container = *Containers(first).begin();

  // Following from the newest line on, across the restart below.
  auto follower = testing::StartYard(AsAdmin({"logs", "hello/dev", "web", "-f", "-n", "1", "--json"}));
  ASSERT_TRUE(follower) << follower.error().message;

  // A restart replaces the container: its lines stay, and once the new one has written,
  // --previous shows the old one's alone.
  Yard({"deployments", "restart", "hello/dev", "web", "--wait"});

  // The follower printed the new container's lines without being started again.
  std::vector<Json> followed = FollowUntilAnotherContainer(*follower, old_container, 60s);
  ASSERT_FALSE(followed.empty()) << "yard logs -f printed nothing";
  EXPECT_NE(followed.back().value("container", ""), old_container)
      << "yard logs -f did not go on with the new container; it printed " << followed.size()
      << " lines";
  EXPECT_TRUE(follower->Running()) << "yard logs -f ended";
  follower->Kill(SIGTERM);
  EXPECT_TRUE(follower->Wait(10s));
  std::vector<Json> both;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    both = Logs({"hello/dev", "web"});
    if (Containers(both).size() == 2) break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_EQ(Containers(both).size(), 2u);
  std::vector<Json> previous = Logs({"hello/dev", "web", "--previous"});
  EXPECT_EQ(Containers(previous), std::set<std::string>{old_container});
  EXPECT_GE(previous.size(), first.size());

  // Killed and started again: nothing is lost or stored twice, and new lines keep coming.
  RestartServer(/*kill=*/true);
  d = Yard({"deployments", "show", "hello/dev", "--wait"});
  PageWith(WebAddress(d), "Hello from Stackyard");
  std::vector<Json> after;
  deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    after = Logs({"hello/dev", "web"});
    if (after.size() > both.size()) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_GT(after.size(), both.size());
  std::map<std::tuple<std::string, std::string, std::string>, int> seen;
  for (const Json& line : after) {
    ++seen[{line["container"], line["time"], line["text"]}];
  }
  for (const Json& line : both) {
    EXPECT_TRUE(seen.contains({line["container"], line["time"], line["text"]}))
        << "lost: " << line.dump();
  }
  std::map<std::tuple<std::string, std::string, std::string>, int> before;
  for (const Json& line : both) ++before[{line["container"], line["time"], line["text"]}];
  for (const auto& [key, count] : before) {
    EXPECT_EQ(seen[key], count) << "stored again: " << std::get<2>(key);
  }

  // Filters: one line with -n 1; a text that is nowhere finds nothing.
  EXPECT_EQ(Logs({"hello/dev", "web", "-n", "1"}).size(), 1u);
  EXPECT_TRUE(Logs({"hello/dev", "--grep", "no line says this"}).empty());
}

}  // namespace
}  // namespace yard
