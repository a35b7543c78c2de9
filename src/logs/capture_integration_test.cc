// The capture on a real podman service (runtime/docker_runtime_fixture.h): containers that
// write as fast as they can are captured line for line, with memory that does not grow with
// what they write, also across a capture stopped and started again.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "logs/capture.h"
#include "logs/store.h"
#include "runtime/docker_runtime_fixture.h"

namespace yard::runtime {
namespace {

constexpr int64_t kDeployment = 1;

class CaptureOnEngineTest : public DockerRuntimeTest {
 protected:
  // Starts a container of the base image running `script` with sh, labelled as a service of
  // deployment 1.
  std::string RunScript(Cleanup& cleanup, const std::string& name, const std::string& service,
                        const std::string& script) {
    return Run(cleanup, {.name = Name(name),
                         .entrypoint = std::vector<std::string>{"sh", "-c"},
                         .cmd = {script},
                         .labels = {{std::string(kLabelDeployment), std::to_string(kDeployment)},
                                    {std::string(kLabelComponent), service},
                                    {std::string(kLabelGeneration), "1"},
                                    {std::string(kLabelRole), "service"}}});
  }

  std::vector<logs::StoredLine> Stored(const std::string& service) {
    auto read = store_.Read(kDeployment, logs::Query{.services = {service}}, 10'000'000);
    EXPECT_TRUE(read) << read.error().message;
    return read ? std::move(read->lines) : std::vector<logs::StoredLine>();
  }

  // Checks that `lines` are "1".."count" of stream `stream`, each once and in order.
  static void ExpectNumbered(const std::vector<logs::StoredLine>& lines, int count, char stream) {
    std::vector<int> numbers;
    for (const logs::StoredLine& stored : lines) {
      if (stored.line.stream != stream) continue;
      numbers.push_back(std::atoi(stored.line.text.c_str()));
    }
    ASSERT_EQ(numbers.size(), static_cast<size_t>(count));
    int wrong = 0;
    for (int i = 0; i < count; ++i) {
      if (numbers[i] != i + 1 && wrong++ < 10) {
        ADD_FAILURE() << "line " << i << " is " << numbers[i] << ", not " << i + 1;
      }
    }
    EXPECT_EQ(wrong, 0);
  }

  testing::TempDir store_dir_;
  logs::Store store_{logs::StoreOptions{.dir = store_dir_.path(), .service_bytes = 1 << 30}};
  logs::CaptureOptions options_{.scan_interval = 200ms};
};

TEST_F(CaptureOnEngineTest, AFloodIsCapturedOnceInOrder) {
  Cleanup cleanup(runtime());
  logs::Capture capture(runtime(), store_, options_);
  capture.Start();
  std::string id = RunScript(cleanup, "flood", "flood", "seq 1 200000");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == ContainerState::kExited; }));
  Status drained = capture.Drain(id, 300s);
  ASSERT_TRUE(drained) << drained.error().message;
  std::vector<logs::StoredLine> lines = Stored("flood");
  ExpectNumbered(lines, 200000, 'o');
  EXPECT_EQ(lines.front().line.container, id.substr(0, 12));
  EXPECT_EQ(lines.front().line.generation, 1);
  // Times from conmon's file: nanoseconds, never going back.
  for (size_t i = 1; i < lines.size(); ++i) {
    ASSERT_LE(lines[i - 1].line.time_ns, lines[i].line.time_ns) << "line " << i;
  }
  EXPECT_NE(lines.back().line.time_ns % 1'000'000'000, 0);
  EXPECT_EQ(capture.stats().untimed, 0);
}

// The largest resident set this process has had, in bytes (VmHWM), since the last reset.
int64_t PeakResidentBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

// Makes the peak the current resident set ("5" to clear_refs resets VmHWM).
void ResetPeakResident() { std::ofstream("/proc/self/clear_refs") << "5"; }

TEST_F(CaptureOnEngineTest, AFloodIsCapturedWithMemoryThatDoesNotGrowWithIt) {
  Cleanup cleanup(runtime());
  logs::Capture capture(runtime(), store_, options_);
  capture.Start();
  // 2 million lines, 15 MB of text: a capture that held what it read would grow by more.
  constexpr int kLines = 2'000'000;
  constexpr int64_t kTextBytes = 14'888'896;  // `seq 1 2000000 | wc -c`
  ResetPeakResident();
  int64_t before = PeakResidentBytes();
  ASSERT_GT(before, 0) << "no VmHWM in /proc/self/status";
  std::string id = RunScript(cleanup, "big-flood", "flood", fmt::format("seq 1 {}", kLines));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == ContainerState::kExited; }));
  Status drained = capture.Drain(id, 300s);
  ASSERT_TRUE(drained) << drained.error().message;
  int64_t growth = PeakResidentBytes() - before;
  EXPECT_EQ(capture.stats().lines, kLines);
  EXPECT_LT(growth, kTextBytes / 2) << "the capture's memory grew by " << growth
                                    << " bytes while the container wrote " << kTextBytes;

  // Every line is stored once, in order: read back page by page, as a follower does.
  logs::Cursor cursor;
  int next = 1;
  for (;;) {
    auto page = store_.ReadAfter(kDeployment, logs::Query{.services = {"flood"}}, cursor,
                                 std::chrono::milliseconds(0), 50'000);
    ASSERT_TRUE(page) << page.error().message;
    if (page->lines.empty()) break;
    for (const logs::StoredLine& stored : page->lines) {
      ASSERT_EQ(stored.line.text, std::to_string(next)) << "line " << next;
      ++next;
    }
    cursor = page->cursor;
  }
  EXPECT_EQ(next - 1, kLines);
}

TEST_F(CaptureOnEngineTest, AStoppedCaptureResumesWithoutLossOrRepeats) {
  Cleanup cleanup(runtime());
  // 200,000 lines in bursts over about four seconds.
  std::string id =
      RunScript(cleanup, "resume", "resume",
                "i=0; while [ $i -lt 20 ]; do seq $((i*10000+1)) $((i*10000+10000)); i=$((i+1)); "
                "sleep 0.2; done");
  ASSERT_FALSE(id.empty());
  {
    logs::Capture first(runtime(), store_, options_);
    first.Start();
    ASSERT_TRUE(WaitFor([&] { return first.stats().lines >= 30000; }));
    first.Stop();
  }
  int64_t stored_before = static_cast<int64_t>(Stored("resume").size());
  // The container goes on writing while nothing captures it.
  std::this_thread::sleep_for(1s);
  {
    logs::Capture second(runtime(), store_, options_);
    second.Start();
    ASSERT_TRUE(WaitFor([&] { return StateOf(id) == ContainerState::kExited; }));
    Status drained = second.Drain(id, 300s);
    ASSERT_TRUE(drained) << drained.error().message;
    EXPECT_EQ(second.stats().lines, 200000 - stored_before);
  }
  ExpectNumbered(Stored("resume"), 200000, 'o');

  // A third capture of the exited container finds nothing new.
  logs::Capture third(runtime(), store_, options_);
  ASSERT_TRUE(third.Drain(id, 300s));
  EXPECT_EQ(third.stats().lines, 0);
  EXPECT_EQ(Stored("resume").size(), 200000u);
}

TEST_F(CaptureOnEngineTest, StreamsLongLinesAndALastLineWithoutNewline) {
  Cleanup cleanup(runtime());
  logs::Capture capture(runtime(), store_, options_);
  capture.Start();
  std::string id =
      RunScript(cleanup, "mixed", "mixed",
                "i=1; while [ $i -le 500 ]; do echo $i; echo $i >&2; i=$((i+1)); done; "
                "head -c 40000 /dev/zero | tr '\\0' a; echo; printf 'no newline'");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == ContainerState::kExited; }));
  ASSERT_TRUE(capture.Drain(id, 300s));
  std::vector<logs::StoredLine> lines = Stored("mixed");
  std::vector<logs::StoredLine> numbered(lines.begin(),
                                         lines.begin() + std::min<size_t>(lines.size(), 1000));
  ExpectNumbered(numbered, 500, 'o');
  ExpectNumbered(numbered, 500, 'e');
  ASSERT_EQ(lines.size(), 1004u);
  EXPECT_EQ(lines[1000].line.text, std::string(logs::kMaxLineBytes, 'a'));
  EXPECT_EQ(lines[1001].line.text, std::string(logs::kMaxLineBytes, 'a'));
  EXPECT_EQ(lines[1002].line.text, std::string(40000 - 2 * logs::kMaxLineBytes, 'a'));
  EXPECT_EQ(lines[1003].line.text, "no newline");
}

TEST_F(CaptureOnEngineTest, DrainWaitsForAStoppedContainer) {
  Cleanup cleanup(runtime());
  logs::Capture capture(runtime(), store_, options_);
  std::string id = RunScript(cleanup, "drain", "drain",
                             "trap 'echo bye; exit 0' TERM; echo hello; "
                             "while :; do sleep 0.1; done");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(capture.Scan());
  ASSERT_TRUE(WaitFor([&] { return Stored("drain").size() == 1; }));
  Status early = capture.Drain(id, 200ms);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kTimeout);
  ASSERT_TRUE(runtime().StopContainer(id, 10s));
  Status drained = capture.Drain(id, 60s);
  ASSERT_TRUE(drained) << drained.error().message;
  std::vector<logs::StoredLine> lines = Stored("drain");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].line.text, "bye");
}

}  // namespace
}  // namespace yard::runtime
