// The capture against the controller's FakeRuntime, whose containers' output is scripted
// (FakeRuntime::WriteLogs), and a real store in a temp dir.

#include "logs/capture.h"

#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "controller/fake_runtime.h"
#include "logs/times.h"
#include "testing/temp_dir.h"

namespace yard::logs {
namespace {

using controller::testing::FakeRuntime;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

constexpr const char* kImage = "localhost/test/app:1";
constexpr int64_t kDeployment = 7;
constexpr int64_t kBase = 1'795'791'551'000'000'000;  // 2026-11-27T14:59:11Z

std::string Frame(int stream, std::string_view payload) {
  std::string frame(8, '\0');
  frame[0] = static_cast<char>(stream);
  for (int i = 0; i < 4; ++i) {
    frame[4 + i] = static_cast<char>((payload.size() >> (24 - 8 * i)) & 0xff);
  }
  return frame + std::string(payload);
}

// A line as the engine sends it, with its time.
std::string Record(int64_t time_ns, std::string_view text, int stream = 1, bool whole = true) {
  return Frame(stream, FormatRfc3339Nanos(time_ns) + " " + std::string(text) + (whole ? "\n" : ""));
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class CaptureTest : public ::testing::Test {
 protected:
  CaptureTest() : store_(StoreOptions{.dir = dir_.path()}) { runtime_.AddImage(kImage); }

  // A started container of `service`; returns its id.
  std::string Start(const std::string& name, const std::string& service = "web",
                    const std::string& role = "service", int generation = 3) {
    runtime::ContainerSpec spec{.name = name, .image = kImage};
    spec.labels = {{std::string(runtime::kLabelDeployment), std::to_string(kDeployment)},
                   {std::string(runtime::kLabelComponent), service},
                   {std::string(runtime::kLabelGeneration), std::to_string(generation)},
                   {std::string(runtime::kLabelRole), role}};
    auto id = runtime_.CreateContainer(spec);
    EXPECT_TRUE(id) << id.error().message;
    Status started = runtime_.StartContainer(*id);
    EXPECT_TRUE(started);
    return *id;
  }

  std::vector<StoredLine> Stored(const std::string& service = "web") {
    auto read = store_.Read(kDeployment, Query{.services = {service}});
    EXPECT_TRUE(read) << read.error().message;
    return read ? read->lines : std::vector<StoredLine>();
  }

  std::vector<std::string> Texts(const std::string& service = "web") {
    std::vector<std::string> texts;
    for (const StoredLine& line : Stored(service)) texts.push_back(line.line.text);
    return texts;
  }

  testing::TempDir dir_;
  FakeRuntime runtime_;
  Store store_;
  CaptureOptions options_{.scan_interval = 20ms, .batch_lines = 7, .retry_delay = 20ms};
};

TEST_F(CaptureTest, CapturesAContainerUntilItExits) {
  std::string id = Start("web-1");
  Capture capture(runtime_, store_, options_);
  runtime_.WriteLogs(id, Record(kBase, "first") + Record(kBase + 1, "oops", 2));
  ASSERT_TRUE(capture.Scan());
  ASSERT_TRUE(WaitFor([&] { return Stored().size() == 2; }));
  // More while it runs, a line in two pieces, and a last line without a newline.
  runtime_.WriteLogs(id, Record(kBase + 2, "pie", 1, false) + Record(kBase + 3, "ce") +
                             Record(kBase + 4, "last words", 1, false));
  runtime_.Crash("web-1", 1);
  ASSERT_TRUE(capture.Drain(id, 30s));

  std::vector<StoredLine> lines = Stored();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].line.text, "first");
  EXPECT_EQ(lines[0].line.time_ns, kBase);
  EXPECT_EQ(lines[0].line.stream, 'o');
  EXPECT_EQ(lines[0].line.container, id.substr(0, 12));
  EXPECT_EQ(lines[0].line.generation, 3);
  EXPECT_EQ(lines[1].line.text, "oops");
  EXPECT_EQ(lines[1].line.stream, 'e');
  EXPECT_EQ(lines[2].line.text, "piece");
  EXPECT_EQ(lines[2].line.time_ns, kBase + 3);
  EXPECT_EQ(lines[3].line.text, "last words");
  EXPECT_EQ(capture.stats().lines, 4);
  EXPECT_EQ(capture.stats().followers, 0);

  // Drained containers are not followed again while they stay exited.
  int follows = runtime_.follows();
  ASSERT_TRUE(capture.Scan());
  ASSERT_TRUE(capture.Scan());
  EXPECT_EQ(runtime_.follows(), follows);
}

TEST_F(CaptureTest, ResumesWithoutLossOrRepeats) {
  std::string id = Start("web-1");
  // Many lines share a time, as with Podman's whole-second times.
  std::string first;
  for (int i = 0; i < 50; ++i) first += Record(kBase + i / 10, fmt::format("line {}", i));
  runtime_.WriteLogs(id, first);
  {
    Capture capture(runtime_, store_, options_);
    ASSERT_TRUE(capture.Scan());
    ASSERT_TRUE(WaitFor([&] { return Stored().size() == 50; }));
    // Stopped in the middle of a line: its first part is not stored.
    runtime_.WriteLogs(id, Record(kBase + 4, "half", 1, false));
    std::this_thread::sleep_for(50ms);
    capture.Stop();
  }
  std::string second = Record(kBase + 4, " and half");
  for (int i = 50; i < 100; ++i) second += Record(kBase + i / 10, fmt::format("line {}", i));
  runtime_.WriteLogs(id, second);
  runtime_.Crash("web-1", 0);
  {
    // The fake sends everything from the start again: the capture skips what is stored.
    Capture capture(runtime_, store_, options_);
    ASSERT_TRUE(capture.Drain(id, 30s));
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(fmt::format("line {}", i));
  expected.push_back("half and half");
  for (int i = 50; i < 100; ++i) expected.push_back(fmt::format("line {}", i));
  EXPECT_EQ(Texts(), expected);

  // A third capture finds nothing new.
  Capture again(runtime_, store_, options_);
  ASSERT_TRUE(again.Drain(id, 30s));
  EXPECT_EQ(Texts().size(), expected.size());
}

TEST_F(CaptureTest, OnlyManagedServicesThatStarted) {
  std::string web = Start("web-1");
  std::string install = Start("web-install", "web", "install");
  runtime::ContainerSpec unlabelled{.name = "other", .image = kImage};
  std::string other = *runtime_.CreateContainer(unlabelled);
  ASSERT_TRUE(runtime_.StartContainer(other));
  runtime::ContainerSpec waiting_spec{.name = "db-1", .image = kImage};
  waiting_spec.labels = {{std::string(runtime::kLabelDeployment), "7"},
                         {std::string(runtime::kLabelComponent), "db"},
                         {std::string(runtime::kLabelRole), "service"}};
  std::string waiting = *runtime_.CreateContainer(waiting_spec);
  for (const std::string& id : {web, install, other, waiting}) {
    runtime_.WriteLogs(id, Record(kBase, "from " + id));
  }
  Capture capture(runtime_, store_, options_);
  ASSERT_TRUE(capture.Scan());
  ASSERT_TRUE(WaitFor([&] { return Stored().size() == 1; }));
  EXPECT_EQ(capture.stats().followers, 1);
  EXPECT_THAT(Texts("db"), ElementsAre());

  // A container that starts later is found by the next scan; install steps when asked for.
  ASSERT_TRUE(runtime_.StartContainer(waiting));
  ASSERT_TRUE(capture.Scan());
  ASSERT_TRUE(WaitFor([&] { return Texts("db").size() == 1; }));
  // Not captured, never started, or unknown: nothing to wait for.
  EXPECT_TRUE(capture.Drain(other, 1ms));
  EXPECT_TRUE(capture.Drain("c999", 1ms));
  EXPECT_THAT(Texts(), ElementsAre("from " + web));

  Capture installs(runtime_, store_, {.roles = {"install"}});
  ASSERT_TRUE(installs.Drain(install, 30s));  // install steps exit at once in the fake
  EXPECT_THAT(Texts(), ElementsAre("from " + web, "from " + install));
}

TEST_F(CaptureTest, DrainWaitsForTheContainerToStop) {
  std::string id = Start("web-1");
  runtime_.WriteLogs(id, Record(kBase, "running"));
  Capture capture(runtime_, store_, options_);
  // No scan yet: Drain starts the follower itself.
  Status early = capture.Drain(id, 100ms);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kTimeout);
  ASSERT_TRUE(WaitFor([&] { return Stored().size() == 1; }));

  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    runtime_.WriteLogs(id, Record(kBase + 1, "stopping"));
    (void)runtime_.StopContainer(id, 1s);
  });
  Status drained = capture.Drain(id, 30s);
  stopper.join();
  ASSERT_TRUE(drained) << drained.error().message;
  EXPECT_THAT(Texts(), ElementsAre("running", "stopping"));
}

TEST_F(CaptureTest, ARemovedContainerEndsItsFollower) {
  std::string id = Start("web-1");
  runtime_.WriteLogs(id, Record(kBase, "before"));
  Capture capture(runtime_, store_, options_);
  ASSERT_TRUE(capture.Scan());
  ASSERT_TRUE(WaitFor([&] { return Stored().size() == 1; }));
  ASSERT_TRUE(runtime_.RemoveContainer(id));
  ASSERT_TRUE(WaitFor([&] { return capture.stats().followers == 0; }));
  ASSERT_TRUE(capture.Scan());
  EXPECT_TRUE(capture.Drain(id, 1ms));
}

TEST_F(CaptureTest, AContainerStartedAgainIsFollowedAgain) {
  std::string id = Start("web-1");
  runtime_.WriteLogs(id, Record(kBase, "first run"));
  Capture capture(runtime_, store_, options_);
  capture.Start();
  runtime_.Crash("web-1", 1);
  ASSERT_TRUE(capture.Drain(id, 30s));
  ASSERT_TRUE(runtime_.StartContainer(id));
  runtime_.WriteLogs(id, Record(kBase + 5, "second run"));
  ASSERT_TRUE(WaitFor([&] { return Stored().size() == 2; }));
  EXPECT_THAT(Texts(), ElementsAre("first run", "second run"));
}

TEST_F(CaptureTest, StopEndsFollowersOfRunningContainers) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Start(fmt::format("web-{}", i), fmt::format("svc{}", i)));
    runtime_.WriteLogs(ids.back(), Record(kBase, "hello"));
  }
  Capture capture(runtime_, store_, options_);
  capture.Start();
  ASSERT_TRUE(WaitFor([&] { return capture.stats().lines == 5; }));
  EXPECT_EQ(capture.stats().followers, 5);
  std::thread drainer([&] {
    Status drained = capture.Drain(ids[0], 60s);
    ASSERT_FALSE(drained);
    EXPECT_EQ(drained.error().code, ErrorCode::kCancelled);
  });
  std::this_thread::sleep_for(20ms);
  capture.Stop();
  drainer.join();
  EXPECT_FALSE(capture.Drain(ids[1], 1s));
}

TEST_F(CaptureTest, ManyLinesInSmallPieces) {
  std::string id = Start("web-1");
  runtime_.SetLogChunkBytes(5);
  std::string stream;
  for (int i = 0; i < 3000; ++i) {
    stream += Record(kBase + i / 100, std::to_string(i), i % 3 == 0 ? 2 : 1);
  }
  runtime_.WriteLogs(id, stream);
  runtime_.Crash("web-1", 0);
  Capture capture(runtime_, store_, options_);
  ASSERT_TRUE(capture.Drain(id, 60s));
  std::vector<StoredLine> lines = Stored();
  ASSERT_EQ(lines.size(), 3000u);
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(lines[i].line.text, std::to_string(i));
    EXPECT_EQ(lines[i].line.stream, i % 3 == 0 ? 'e' : 'o');
  }
}

}  // namespace
}  // namespace yard::logs
