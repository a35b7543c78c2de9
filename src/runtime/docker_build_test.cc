// Builds on a real podman service held to what Stackyard asks of them: a cancel or a timeout
// stops the step in progress and leaves nothing running, and the CPU and memory limits bind
// every RUN step.

#include <atomic>

#include "base/fs.h"
#include "runtime/build_cgroup.h"
#include "runtime/docker_runtime_fixture.h"

namespace yard::runtime {
namespace {

// Whether a process whose command line holds `marker` runs on this host. A RUN step's shell
// has the whole step on its command line.
bool ProcessRuns(const std::string& marker) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = fs::ReadFile(entry.path() / "cmdline", 1 << 20);
    if (cmdline && cmdline->find(marker) != std::string::npos) return true;
  }
  return false;
}

// The build cgroups of this test run's installation that exist (build_cgroup.h).
std::vector<std::string> BuildCgroupsLeft() {
  std::vector<std::string> left;
  auto mountinfo = fs::ReadFile("/proc/self/mountinfo");
  if (!mountinfo) return left;
  std::string prefix = "stackyard-build-" + engine->installation + "-";
  for (const std::string& root : CgroupDirs(*mountinfo, "")) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
      if (entry.path().filename().string().starts_with(prefix)) left.push_back(entry.path());
    }
  }
  return left;
}

class DockerBuildTest : public DockerRuntimeTest {
 protected:
  std::string Tag(const std::string& name) {
    return "localhost/stackyard-test/" + engine->run_id + "/" + name + ":1";
  }

  // Runs `spec` (a step that prints `marker`-started and then sleeps for minutes) and, when
  // `cancel_once_running` is given, sets it once the step's process is seen running. Returns
  // the build's result and whether the step was seen running.
  std::pair<Result<BuildOutcome>, bool> BuildSleeper(BuildSpec spec, const std::string& marker,
                                                     std::atomic<bool>* cancel_once_running) {
    std::atomic<bool> done = false;
    std::atomic<bool> seen = false;
    std::thread watcher([&] {
      while (!done) {
        if (!seen && ProcessRuns(marker)) {
          seen = true;
          if (cancel_once_running) *cancel_once_running = true;
        }
        std::this_thread::sleep_for(100ms);
      }
    });
    auto outcome = runtime().BuildImage(spec, nullptr);
    done = true;
    watcher.join();
    return {std::move(outcome), seen.load()};
  }

  std::string SleeperContext(const std::string& marker) {
    return MakeTar({{"Dockerfile", fmt::format("FROM {}\nRUN echo {}-started && sleep 600 && "
                                               "echo {}-finished\nRUN echo never\n",
                                               kBaseImage, marker, marker)}});
  }

  // Nothing of the build is left: no process, no build cgroup, no image.
  void ExpectNothingLeft(const std::string& marker, const std::string& tag) {
    // Bounds against a slow machine, not timing assertions: the sleep lasts ten minutes.
    EXPECT_TRUE(WaitFor([&] { return !ProcessRuns(marker); }, 20s))
        << "the build's step still runs";
    EXPECT_TRUE(WaitFor([] { return BuildCgroupsLeft().empty(); }, 20s))
        << "a build cgroup is left: " << ::testing::PrintToString(BuildCgroupsLeft());
    auto image = runtime().InspectImage(tag);
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_FALSE(image->has_value());
  }
};

TEST_F(DockerBuildTest, CancelStopsTheStepInProgress) {
  Cleanup cleanup(runtime());
  std::string tag = Tag("cancelled");
  cleanup.Image(tag);
  std::string marker = "yardtest-cancel-" + engine->run_id;
  std::atomic<bool> cancel = false;
  const auto start = std::chrono::steady_clock::now();
  auto [outcome, seen] = BuildSleeper(
      {.tag = tag, .context_tar = SleeperContext(marker), .cancel = &cancel}, marker, &cancel);
  EXPECT_TRUE(seen) << "the step never ran";
  ASSERT_FALSE(outcome) << outcome->log;
  EXPECT_EQ(outcome.error().code, ErrorCode::kCancelled) << outcome.error().message;
  EXPECT_THAT(outcome.error().message, HasSubstr("cancelled"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300s) << "it waited for the step";
  ExpectNothingLeft(marker, tag);

  // A cancel that comes first builds nothing.
  auto early = runtime().BuildImage(
      {.tag = tag, .context_tar = SleeperContext(marker), .cancel = &cancel}, nullptr);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kCancelled);
}

TEST_F(DockerBuildTest, TimeoutStopsTheStepInProgress) {
  Cleanup cleanup(runtime());
  std::string tag = Tag("timed-out");
  cleanup.Image(tag);
  std::string marker = "yardtest-timeout-" + engine->run_id;
  auto [outcome, seen] = BuildSleeper(
      {.tag = tag, .context_tar = SleeperContext(marker), .timeout = 30s}, marker, nullptr);
  ASSERT_FALSE(outcome) << outcome->log;
  EXPECT_EQ(outcome.error().code, ErrorCode::kTimeout) << outcome.error().message;
  EXPECT_THAT(outcome.error().message, HasSubstr("did not finish within 30 s"));
  EXPECT_TRUE(seen) << "the step never ran within the timeout";
  ExpectNothingLeft(marker, tag);
}

TEST_F(DockerBuildTest, LeftoverBuildsOfADeadServerAreStopped) {
  Cleanup cleanup(runtime());
  std::string tag = Tag("left-over");
  cleanup.Image(tag);
  std::string marker = "yardtest-leftover-" + engine->run_id;
  // What a server that dies mid-build leaves: a build in a cgroup of its own whose client is
  // gone, and nobody to stop it.
  BuildSpec spec{.tag = tag, .labels = runtime().ManagedLabels({})};
  http::ClientRequest request{
      .method = "POST",
      .target =
          "/v1.41/build?" + docker::BuildQuery(spec, docker::BuildLabels::kSortedList,
                                               "/" + NewBuildCgroupName(engine->installation)),
      .body = SleeperContext(marker),
      .content_type = "application/x-tar"};
  std::atomic<bool> gone = false;
  request.cancel = &gone;
  std::thread watcher([&] {
    WaitFor([&] { return ProcessRuns(marker); }, 120s);
    gone = true;
  });
  std::string streamed;
  auto abandoned = http::Client(engine->process->endpoint())
                       .SendStreaming(request, 300s, [&](std::string_view chunk) {
                         if (streamed.size() < 64 * 1024) streamed.append(chunk);
                       });
  watcher.join();
  // A build that ended by itself (the engine refused it) says why here.
  ASSERT_FALSE(abandoned) << "HTTP " << abandoned->status << ": " << streamed;
  ASSERT_EQ(abandoned.error().code, ErrorCode::kCancelled) << abandoned.error().message;
  // Podman 4 carries on with the step (an engine that stops it by itself leaves nothing to
  // kill, which is as good).
  std::this_thread::sleep_for(3s);
  bool still_running = ProcessRuns(marker);
  auto info = runtime().Ping();
  ASSERT_TRUE(info) << info.error().message;
  if (info->version.starts_with("4.")) {
    EXPECT_TRUE(still_running) << "Podman " << info->version << " stopped the step itself";
  }

  auto killed = StopLeftoverBuilds(engine->installation);
  ASSERT_TRUE(killed) << killed.error().message;
  if (still_running) {
    EXPECT_GE(*killed, 1);
  }
  ExpectNothingLeft(marker, tag);
}

TEST_F(DockerBuildTest, MemoryLimitFailsAStepThatNeedsMore) {
  Cleanup cleanup(runtime());
  std::string limited_tag = Tag("memory-limited");
  std::string unlimited_tag = Tag("memory-unlimited");
  cleanup.Image(limited_tag);
  cleanup.Image(unlimited_tag);
  // 300 MB in one string; the run id keeps the layer cache from answering for the step.
  std::string context = MakeTar(
      {{"Dockerfile", fmt::format("FROM {}\nRUN echo {} && perl -e '$x = \"a\" x 300_000_000; "
                                  "print \"allocated \", length($x), \"\\n\"'\n",
                                  kBaseImage, engine->run_id)}});

  auto limited = runtime().BuildImage(
      {.tag = limited_tag, .context_tar = context, .memory_bytes = 128 << 20}, nullptr);
  ASSERT_TRUE(limited) << limited.error().message;
  EXPECT_FALSE(limited->ok) << limited->log;
  EXPECT_THAT(limited->error, HasSubstr("exit status 137"));
  EXPECT_THAT(limited->error, HasSubstr("memory limit of 128 MiB"));
  EXPECT_THAT(limited->log, HasSubstr("exit status 137"));
  EXPECT_THAT(limited->log, Not(HasSubstr("allocated 300000000")));

  auto unlimited = runtime().BuildImage({.tag = unlimited_tag, .context_tar = context}, nullptr);
  ASSERT_TRUE(unlimited) << unlimited.error().message;
  EXPECT_TRUE(unlimited->ok) << unlimited->error << "\n" << unlimited->log;
  EXPECT_THAT(unlimited->log, HasSubstr("allocated 300000000"));
  EXPECT_TRUE(BuildCgroupsLeft().empty());
}

TEST_F(DockerBuildTest, LimitsApplyToEveryStep) {
  Cleanup cleanup(runtime());
  std::string tag = Tag("limits");
  cleanup.Image(tag);
  // What each step's cgroup says, on cgroup v1 and v2 alike.
  std::string show =
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
      "/sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max 2>/dev/null; true";
  std::string context = MakeTar(
      {{"Dockerfile", fmt::format("FROM {0}\nRUN echo first-{1}; {2}\nRUN echo second-{1}; {2}\n",
                                  kBaseImage, engine->run_id, show)}});
  auto outcome = runtime().BuildImage(
      {.tag = tag, .context_tar = context, .cpus = 0.5, .memory_bytes = 256 << 20}, nullptr);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_TRUE(outcome->ok) << outcome->error << "\n" << outcome->log;
  std::string log = outcome->log;
  size_t second = log.find("second-" + engine->run_id);
  ASSERT_NE(second, std::string::npos) << log;
  for (std::string_view step :
       {std::string_view(log).substr(0, second), std::string_view(log).substr(second)}) {
    EXPECT_THAT(std::string(step), HasSubstr(std::to_string(256 << 20))) << log;
    EXPECT_THAT(std::string(step), HasSubstr("50000")) << log;
  }
}

}  // namespace
}  // namespace yard::runtime
