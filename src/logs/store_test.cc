#include "logs/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "base/fs.h"
#include "logs/segment.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::logs {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using yard::testing::FakeClock;
using yard::testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1'800'000'000;  // FakeClock's default, in seconds
constexpr char kA[] = "aaaaaaaaaaaa";
constexpr char kB[] = "bbbbbbbbbbbb";
constexpr char kC[] = "cccccccccccc";

// A time `seconds` after the fake clock's start.
int64_t At(int64_t seconds) { return (kNow + seconds) * kSecond; }

LogLine Line(int64_t time_ns, std::string text, std::string container = kA) {
  return LogLine{.time_ns = time_ns,
                 .container = std::move(container),
                 .generation = 1,
                 .text = std::move(text)};
}

std::vector<std::string> Texts(const std::vector<StoredLine>& lines) {
  std::vector<std::string> texts;
  for (const StoredLine& line : lines) texts.push_back(line.line.text);
  return texts;
}

std::vector<std::string> ServiceTexts(const std::vector<StoredLine>& lines) {
  std::vector<std::string> texts;
  for (const StoredLine& line : lines) texts.push_back(line.service + ":" + line.line.text);
  return texts;
}

class StoreTest : public ::testing::Test {
 protected:
  StoreOptions Options() const { return StoreOptions{.dir = dir_.File("logs")}; }
  std::string ServiceDir(int64_t deployment, const std::string& service) const {
    return dir_.File("logs/" + std::to_string(deployment) + "/" + service);
  }
  std::vector<SegmentFile> Segments(int64_t deployment, const std::string& service) const {
    auto segments = ListSegments(ServiceDir(deployment, service));
    EXPECT_TRUE(segments.has_value());
    return segments.value_or(std::vector<SegmentFile>());
  }

  void Append(Store& store, const std::string& service, std::vector<LogLine> lines,
              int64_t deployment = 1) {
    Status status = store.Append(deployment, service, lines);
    ASSERT_TRUE(status.has_value()) << status.error().message;
  }
  std::vector<StoredLine> Read(Store& store, const Query& query = {}, size_t limit = 100'000,
                               int64_t deployment = 1) {
    auto result = store.Read(deployment, query, limit);
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return result ? result->lines : std::vector<StoredLine>();
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(StoreTest, RoundTrip) {
  Store store(Options(), clock_);
  LogLine err{.time_ns = At(2), .stream = 'e', .container = kB, .generation = 3, .text = "ünïcode"};
  Append(store, "web", {Line(At(1), "hello"), err, Line(At(3), "")});
  auto lines = Read(store);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].service, "web");
  EXPECT_EQ(lines[0].line.time_ns, At(1));
  EXPECT_EQ(lines[0].line.stream, 'o');
  EXPECT_EQ(lines[0].line.container, kA);
  EXPECT_EQ(lines[0].line.generation, 1);
  EXPECT_EQ(lines[0].line.text, "hello");
  EXPECT_EQ(lines[1].line.stream, 'e');
  EXPECT_EQ(lines[1].line.container, kB);
  EXPECT_EQ(lines[1].line.generation, 3);
  EXPECT_EQ(lines[1].line.text, "ünïcode");
  EXPECT_EQ(lines[2].line.text, "");

  // Another store on the same directory (a restart) reads the same.
  Store again(Options(), clock_);
  EXPECT_THAT(Texts(Read(again)), ElementsAre("hello", "ünïcode", ""));
  EXPECT_THAT(*again.Services(1), ElementsAre("web"));
  EXPECT_THAT(*again.Services(2), IsEmpty());
}

TEST_F(StoreTest, SplitsTextsWithNewlines) {
  Store store(Options(), clock_);
  Append(store, "web", {Line(At(1), "one\ntwo")});
  EXPECT_THAT(Texts(Read(store)), ElementsAre("one", "two"));
}

TEST_F(StoreTest, MergesServicesByTime) {
  Store store(Options(), clock_);
  Append(store, "web", {Line(At(1), "w1"), Line(At(3), "w3"), Line(At(5), "w5")});
  Append(store, "db", {Line(At(2), "d2"), Line(At(3), "d3"), Line(At(6), "d6")});
  // Equal times go by service name.
  EXPECT_THAT(ServiceTexts(Read(store)),
              ElementsAre("web:w1", "db:d2", "db:d3", "web:w3", "web:w5", "db:d6"));
  EXPECT_THAT(ServiceTexts(Read(store, {.services = {"web"}})),
              ElementsAre("web:w1", "web:w3", "web:w5"));
  EXPECT_THAT(ServiceTexts(Read(store, {.services = {"web", "db", "web"}, .tail = 2})),
              ElementsAre("web:w5", "db:d6"));
  EXPECT_THAT(Read(store, {.services = {"nothing"}}), IsEmpty());
  EXPECT_THAT(*store.Services(1), ElementsAre("db", "web"));
}

TEST_F(StoreTest, Filters) {
  Store store(Options(), clock_);
  std::vector<LogLine> lines;
  for (int i = 0; i < 20; ++i) lines.push_back(Line(At(i), fmt::format("line {}", i)));
  Append(store, "web", lines);

  EXPECT_THAT(Texts(Read(store, {.since_ns = At(17)})),
              ElementsAre("line 17", "line 18", "line 19"));
  EXPECT_THAT(Texts(Read(store, {.until_ns = At(2)})), ElementsAre("line 0", "line 1"));
  EXPECT_THAT(Texts(Read(store, {.since_ns = At(5), .until_ns = At(7)})),
              ElementsAre("line 5", "line 6"));
  EXPECT_THAT(Texts(Read(store, {.grep = "1"})),
              ElementsAre("line 1", "line 10", "line 11", "line 12", "line 13", "line 14",
                          "line 15", "line 16", "line 17", "line 18", "line 19"));
  EXPECT_THAT(Texts(Read(store, {.grep = "1", .tail = 2})), ElementsAre("line 18", "line 19"));
  EXPECT_THAT(Texts(Read(store, {.since_ns = At(3), .grep = "1", .tail = 20})),
              ElementsAre("line 10", "line 11", "line 12", "line 13", "line 14", "line 15",
                          "line 16", "line 17", "line 18", "line 19"));
  // The text is searched, not the fields before it.
  EXPECT_THAT(Read(store, {.grep = kA}), IsEmpty());
  EXPECT_THAT(Read(store, {.grep = "1800"}), IsEmpty());
  EXPECT_THAT(Read(store, {.tail = 0}), IsEmpty());
  EXPECT_THAT(Read(store, {.since_ns = At(7), .until_ns = At(7)}), IsEmpty());
  // The limit keeps the newest.
  EXPECT_THAT(Texts(Read(store, {}, 2)), ElementsAre("line 18", "line 19"));
}

TEST_F(StoreTest, Previous) {
  Store store(Options(), clock_);
  // Containers a, b, c in turn; b and c overlap (a rollout): b's last lines come after c's first.
  Append(store, "web", {Line(At(1), "a1", kA), Line(At(2), "a2", kA)});
  Append(store, "web", {Line(At(3), "b3", kB)});
  Append(store, "web", {Line(At(4), "c4", kC)});
  Append(store, "web", {Line(At(5), "b5", kB)});
  Append(store, "web", {Line(At(6), "c6", kC)});
  Append(store, "db", {Line(At(1), "only", kA)});
  EXPECT_THAT(ServiceTexts(Read(store, {.previous = true})), ElementsAre("web:b3", "web:b5"));
  EXPECT_THAT(Texts(Read(store, {.services = {"web"}, .previous = true, .tail = 1})),
              ElementsAre("b5"));
  EXPECT_THAT(Read(store, {.services = {"db"}, .previous = true}), IsEmpty());
}

TEST_F(StoreTest, RotatesAtTheSegmentSize) {
  StoreOptions options = Options();
  options.segment_bytes = 200;  // about 5 lines
  Store store(options, clock_);
  for (int i = 0; i < 50; ++i) Append(store, "web", {Line(At(i), fmt::format("line {}", i))});
  auto segments = Segments(1, "web");
  ASSERT_GT(segments.size(), 5u);
  EXPECT_EQ(segments.front().name, At(0));
  for (const SegmentFile& segment : segments) EXPECT_LE(segment.bytes, 200u + 40u);

  auto lines = Read(store);
  ASSERT_EQ(lines.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(lines[i].line.text, fmt::format("line {}", i));
  // Time ranges find their segments.
  for (int since = 0; since < 50; since += 7) {
    for (int until = since; until <= 50; until += 5) {
      auto range = Read(store, {.since_ns = At(since), .until_ns = At(until)});
      ASSERT_EQ(range.size(), static_cast<size_t>(until - since));
      if (!range.empty()) {
        EXPECT_EQ(range.front().line.text, fmt::format("line {}", since));
      }
    }
  }
  EXPECT_THAT(Texts(Read(store, {.tail = 3})), ElementsAre("line 47", "line 48", "line 49"));
}

TEST_F(StoreTest, TimesGoingBackDoNotStartASegment) {
  StoreOptions options = Options();
  options.segment_bytes = 100;
  Store store(options, clock_);
  Append(store, "web", {Line(At(10), "10"), Line(At(11), "11"), Line(At(12), "12")});
  // Full, but these are older than its name (another container of the service lagging).
  Append(store, "web", {Line(At(9), "9")});
  Append(store, "web", {Line(At(10), "10 again")});
  ASSERT_EQ(Segments(1, "web").size(), 1u);
  Append(store, "web", {Line(At(13), "13")});
  auto segments = Segments(1, "web");
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].name, At(13));
  EXPECT_THAT(Texts(Read(store)), ElementsAre("9", "10", "10 again", "11", "12", "13"));
}

TEST_F(StoreTest, RepeatedTimesAcrossSegments) {
  StoreOptions options = Options();
  options.segment_bytes = 100;
  Store store(options, clock_);
  // Times standing still: a segment is closed only at four times its size.
  for (int i = 0; i < 20; ++i) Append(store, "web", {Line(At(1), fmt::format("same {}", i))});
  auto segments = Segments(1, "web");
  EXPECT_GE(segments.size(), 2u);
  for (const SegmentFile& segment : segments) EXPECT_LT(segment.bytes, 400u + 50u);
  EXPECT_EQ(Read(store).size(), 20u);
  EXPECT_EQ(Read(store, {.since_ns = At(1)}).size(), 20u);
  auto resume = store.ResumeOf(1, "web", kA);
  ASSERT_TRUE(resume.has_value() && resume->has_value());
  EXPECT_EQ((*resume)->time_ns, At(1));
  EXPECT_EQ((*resume)->lines_at_time, 20);
}

TEST_F(StoreTest, KeepsTheServiceWithinItsSize) {
  StoreOptions options = Options();
  options.segment_bytes = 200;
  options.service_bytes = 1000;
  Store store(options, clock_);
  for (int i = 0; i < 100; ++i) Append(store, "web", {Line(At(i), fmt::format("line {}", i))});
  auto segments = Segments(1, "web");
  uint64_t total = 0;
  for (const SegmentFile& segment : segments) total += segment.bytes;
  EXPECT_LE(total, 1000u);
  EXPECT_GT(total, 1000u - 250u);
  auto lines = Read(store);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().line.text, "line 99");
  EXPECT_EQ(lines.front().line.time_ns, segments.front().name);
  // Other services are on their own.
  Append(store, "db", {Line(At(0), "kept")});
  EXPECT_THAT(Texts(Read(store, {.services = {"db"}})), ElementsAre("kept"));
}

TEST_F(StoreTest, RemovesSegmentsPastTheRetention) {
  StoreOptions options = Options();
  options.segment_bytes = 100;
  options.retention_seconds = 3600;
  Store store(options, clock_);
  for (int i = 0; i < 10; ++i) Append(store, "web", {Line(At(i * 60), fmt::format("old {}", i))});
  Append(store, "db", {Line(At(0), "db old")});
  size_t before = Segments(1, "web").size();
  ASSERT_GT(before, 3u);

  // An hour after the 5th line: the segments before it go with the next append.
  clock_.Advance(std::chrono::seconds(3600 + 5 * 60 + 1));
  Append(store, "web", {Line(clock_.NowUnix() * kSecond, "new")});
  // Segments of three lines: the first two hold only lines older than an hour.
  EXPECT_EQ(Segments(1, "web").size(), before - 2);
  EXPECT_THAT(Texts(Read(store, {.services = {"web"}})),
              ElementsAre("old 6", "old 7", "old 8", "old 9", "new"));
  // Other services are pruned when appended to, or by Prune.
  EXPECT_THAT(Texts(Read(store, {.services = {"db"}})), ElementsAre("db old"));

  // A day later everything is older than an hour: Prune removes whole services.
  clock_.Advance(std::chrono::hours(24));
  ASSERT_TRUE(store.Prune().has_value());
  EXPECT_THAT(Read(store), IsEmpty());
  EXPECT_THAT(*store.Services(1), IsEmpty());
  EXPECT_FALSE(fs::Exists(ServiceDir(1, "web")));
  // And the service starts again.
  Append(store, "web", {Line(clock_.NowUnix() * kSecond, "again")});
  EXPECT_THAT(Texts(Read(store)), ElementsAre("again"));
}

TEST_F(StoreTest, PartialLastLineAfterACrash) {
  {
    Store store(Options(), clock_);
    Append(store, "web", {Line(At(1), "one"), Line(At(2), "two")});
  }
  // The writer died in the middle of a line.
  auto segments = Segments(1, "web");
  ASSERT_EQ(segments.size(), 1u);
  std::string path = ServiceDir(1, "web") + "/" + SegmentFileName(segments[0].name);
  std::string content = *fs::ReadFile(path);
  ASSERT_TRUE(
      fs::AtomicWriteFile(path, content + "1800000003000000000 o aaaaaaaaaaaa 1 thr").has_value());

  Store store(Options(), clock_);
  EXPECT_THAT(Texts(Read(store)), ElementsAre("one", "two"));
  auto resume = store.ResumeOf(1, "web", kA);
  EXPECT_EQ((*resume)->time_ns, At(2));
  Append(store, "web", {Line(At(3), "three")});
  EXPECT_THAT(Texts(Read(store)), ElementsAre("one", "two", "three"));
  EXPECT_EQ(*fs::ReadFile(path), content + "1800000003000000000 o aaaaaaaaaaaa 1 three\n");
}

TEST_F(StoreTest, SkipsCorruptLines) {
  ASSERT_TRUE(fs::CreateDirectories(ServiceDir(1, "web")).has_value());
  std::string path = ServiceDir(1, "web") + "/" + SegmentFileName(At(1));
  ASSERT_TRUE(fs::AtomicWriteFile(path,
                                  "1800000001000000000 o aaaaaaaaaaaa 1 good one\n"
                                  "edited by hand\n"
                                  "\n"
                                  "1800000002000000000 x aaaaaaaaaaaa 1 bad stream\n" +
                                      std::string(100'000, '9') + "\n" +
                                      "1800000003000000000 o aaaaaaaaaaaa 1 good two\n")
                  .has_value());
  ASSERT_TRUE(fs::AtomicWriteFile(ServiceDir(1, "web") + "/junk.log", "x").has_value());
  ASSERT_TRUE(fs::CreateDirectories(ServiceDir(1, "NotAService")).has_value());
  Store store(Options(), clock_);
  EXPECT_THAT(Texts(Read(store)), ElementsAre("good one", "good two"));
  EXPECT_THAT(Texts(Read(store, {.tail = 1})), ElementsAre("good two"));
  EXPECT_THAT(*store.Services(1), ElementsAre("web"));
  auto after = store.ReadAfter(1, {}, "", std::chrono::milliseconds(0));
  EXPECT_THAT(Texts(after->lines), ElementsAre("good one", "good two"));
  Append(store, "web", {Line(At(4), "good three")});
  EXPECT_THAT(Texts(Read(store)), ElementsAre("good one", "good two", "good three"));
}

TEST_F(StoreTest, FollowsWithACursor) {
  Store store(Options(), clock_);
  Append(store, "web", {Line(At(0), "before")});
  auto first = store.Read(1, {.tail = 10});
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Texts(first->lines), ElementsAre("before"));

  constexpr int kBatches = 20;
  std::thread writer([&] {
    for (int i = 0; i < kBatches; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::string service = i % 2 == 0 ? "web" : "db";
      Status status =
          store.Append(1, service, std::vector<LogLine>{Line(At(1 + i), fmt::format("{}", i))});
      EXPECT_TRUE(status.has_value());
    }
  });
  std::vector<std::string> seen;
  Cursor cursor = first->cursor;
  for (int calls = 0; seen.size() < kBatches && calls < 1000; ++calls) {
    auto next = store.ReadAfter(1, {}, cursor, std::chrono::seconds(10));
    ASSERT_TRUE(next.has_value()) << next.error().message;
    for (const StoredLine& line : next->lines) seen.push_back(line.line.text);
    cursor = next->cursor;
  }
  writer.join();
  // Each service's lines in order; across services, a line appended to one while the other
  // was being read may come in the next call.
  std::vector<int> web;
  std::vector<int> db;
  for (const std::string& text : seen)
    (std::stoi(text) % 2 == 0 ? web : db).push_back(std::stoi(text));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBatches));
  EXPECT_TRUE(std::is_sorted(web.begin(), web.end()));
  EXPECT_TRUE(std::is_sorted(db.begin(), db.end()));
  EXPECT_EQ(web.size(), static_cast<size_t>(kBatches / 2));
  EXPECT_EQ(db.size(), static_cast<size_t>(kBatches / 2));
}

TEST_F(StoreTest, ReadAfterTimesOutEmpty) {
  Store store(Options(), clock_);
  Append(store, "web", {Line(At(0), "one")});
  auto first = store.Read(1, {});
  auto next = store.ReadAfter(1, {}, first->cursor, std::chrono::milliseconds(20));
  ASSERT_TRUE(next.has_value());
  EXPECT_THAT(next->lines, IsEmpty());
  Append(store, "web", {Line(At(1), "two")});
  auto after = store.ReadAfter(1, {}, next->cursor, std::chrono::milliseconds(0));
  EXPECT_THAT(Texts(after->lines), ElementsAre("two"));
}

TEST_F(StoreTest, ReadAfterFiltersAndLimits) {
  Store store(Options(), clock_);
  auto start = store.Read(1, {});
  ASSERT_TRUE(start.has_value());
  std::vector<LogLine> lines;
  for (int i = 0; i < 10; ++i) lines.push_back(Line(At(i), fmt::format("line {}", i)));
  Append(store, "web", lines);
  Append(store, "db", {Line(At(3), "db 3")});

  auto grep =
      store.ReadAfter(1, {.grep = "3", .tail = 1}, start->cursor, std::chrono::milliseconds(0));
  EXPECT_THAT(ServiceTexts(grep->lines), ElementsAre("db:db 3", "web:line 3"));

  // Pages of four, each going on where the last ended.
  std::vector<std::string> texts;
  Cursor cursor = start->cursor;
  for (int page = 0; page < 4; ++page) {
    auto next = store.ReadAfter(1, {}, cursor, std::chrono::milliseconds(0), 4);
    ASSERT_TRUE(next.has_value());
    EXPECT_LE(next->lines.size(), 4u);
    for (const StoredLine& line : next->lines) texts.push_back(line.line.text);
    cursor = next->cursor;
  }
  EXPECT_THAT(texts, ElementsAre("line 0", "line 1", "line 2", "db 3", "line 3", "line 4", "line 5",
                                 "line 6", "line 7", "line 8", "line 9"));
}

TEST_F(StoreTest, CursorContinuesAfterItsSegmentWasPruned) {
  StoreOptions options = Options();
  options.segment_bytes = 100;
  options.service_bytes = 300;
  Store store(options, clock_);
  Append(store, "web", {Line(At(0), "first")});
  auto start = store.Read(1, {});
  ASSERT_TRUE(start.has_value());
  for (int i = 1; i <= 30; ++i) Append(store, "web", {Line(At(i), fmt::format("line {}", i))});
  auto oldest = Segments(1, "web").front().name;
  ASSERT_GT(oldest, At(0));

  auto next = store.ReadAfter(1, {}, start->cursor, std::chrono::milliseconds(0));
  ASSERT_TRUE(next.has_value());
  ASSERT_FALSE(next->lines.empty());
  EXPECT_EQ(next->lines.front().line.time_ns, oldest);
  EXPECT_EQ(next->lines.back().line.text, "line 30");
}

TEST_F(StoreTest, ResumeOf) {
  Store store(Options(), clock_);
  Append(store, "web", {Line(At(1), "a", kA), Line(At(2), "a", kA), Line(At(2), "a", kA)});
  Append(store, "web", {Line(At(2), "b", kB), Line(At(3), "b", kB)});
  Append(store, "web", {Line(At(2), "a", kA)});
  Append(store, "web", {Line(At(4), "c", kC)});

  auto a = store.ResumeOf(1, "web", kA);
  ASSERT_TRUE(a.has_value() && a->has_value());
  EXPECT_EQ((*a)->time_ns, At(2));
  EXPECT_EQ((*a)->lines_at_time, 3);
  auto b = store.ResumeOf(1, "web", kB);
  EXPECT_EQ((*b)->time_ns, At(3));
  EXPECT_EQ((*b)->lines_at_time, 1);
  EXPECT_FALSE(store.ResumeOf(1, "web", "dddddddddddd")->has_value());
  EXPECT_FALSE(store.ResumeOf(1, "db", kA)->has_value());
  EXPECT_FALSE(store.ResumeOf(7, "web", kA)->has_value());
}

TEST_F(StoreTest, Remove) {
  Store store(Options(), clock_);
  Append(store, "web", {Line(At(1), "one")}, 1);
  Append(store, "db", {Line(At(1), "one")}, 1);
  Append(store, "web", {Line(At(1), "other")}, 2);
  ASSERT_TRUE(store.Remove(1).has_value());
  EXPECT_THAT(*store.Services(1), IsEmpty());
  EXPECT_THAT(Read(store), IsEmpty());
  EXPECT_FALSE(fs::Exists(dir_.File("logs/1")));
  EXPECT_THAT(Texts(Read(store, {}, 100, 2)), ElementsAre("other"));
  ASSERT_TRUE(store.Remove(1).has_value());  // again: nothing left to remove
  Append(store, "web", {Line(At(2), "new")}, 1);
  EXPECT_THAT(Texts(Read(store)), ElementsAre("new"));
}

TEST_F(StoreTest, RefusesBadNames) {
  Store store(Options(), clock_);
  std::vector<LogLine> lines{Line(At(1), "x")};
  for (std::string bad : std::vector<std::string>{"", "..", "../etc", "a/b", "Web", "web-",
                                                  std::string(41, 'a'), "web\n"}) {
    EXPECT_EQ(store.Append(1, bad, lines).error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(store.Read(1, {.services = {bad}}).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(store.ResumeOf(1, bad, kA).error().code, ErrorCode::kInvalidArgument);
  }
  for (int64_t bad : {0, -1}) {
    EXPECT_EQ(store.Append(bad, "web", lines).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(store.Read(bad, {}).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(store.Services(bad).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(store.Remove(bad).error().code, ErrorCode::kInvalidArgument);
  }
  std::vector<LogLine> bad_container{Line(At(1), "x", "../../x")};
  EXPECT_EQ(store.Append(1, "web", bad_container).error().code, ErrorCode::kInvalidArgument);
  for (std::string bad_cursor : {"x", "../a.1.2", "web.1", "web.a.b"}) {
    EXPECT_EQ(store.ReadAfter(1, {}, bad_cursor, std::chrono::milliseconds(0)).error().code,
              ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(fs::Exists(dir_.File("logs")));
}

TEST_F(StoreTest, ManyServicesAndThreads) {
  StoreOptions options = Options();
  options.segment_bytes = 4096;
  Store store(options, clock_);
  // More services than open files are kept, appended from several threads at once.
  constexpr int kThreads = 4;
  constexpr int kServices = 100;
  constexpr int kRounds = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (int s = t; s < kServices; s += kThreads) {
          Status status =
              store.Append(1, fmt::format("s{}", s),
                           std::vector<LogLine>{Line(At(round), fmt::format("{}", round)),
                                                Line(At(round), "again")});
          ASSERT_TRUE(status.has_value()) << status.error().message;
        }
      }
    });
  }
  std::atomic<bool> done = false;
  std::thread reader([&] {
    while (!done) {
      auto read = store.Read(1, {.tail = 50});
      ASSERT_TRUE(read.has_value()) << read.error().message;
    }
  });
  for (std::thread& thread : threads) thread.join();
  done = true;
  reader.join();
  EXPECT_EQ(store.Services(1)->size(), static_cast<size_t>(kServices));
  auto all = Read(store);
  EXPECT_EQ(all.size(), static_cast<size_t>(kServices * kRounds * 2));
  auto one = Read(store, {.services = {"s42"}});
  ASSERT_EQ(one.size(), static_cast<size_t>(kRounds * 2));
  for (int round = 0; round < kRounds; ++round)
    EXPECT_EQ(one[round * 2].line.text, fmt::format("{}", round));
}

}  // namespace
}  // namespace yard::logs
