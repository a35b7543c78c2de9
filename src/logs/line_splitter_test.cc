#include "logs/line_splitter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "logs/times.h"

namespace yard::logs {
namespace {

using ::testing::ElementsAre;

struct Line {
  int64_t time_ns = 0;
  char stream = 'o';
  std::string text;
  bool operator==(const Line&) const = default;
};

void PrintTo(const Line& line, std::ostream* out) {
  *out << "{" << line.time_ns << " " << line.stream << " \""
       << (line.text.size() > 60 ? line.text.substr(0, 60) + "..." : line.text) << "\" ("
       << line.text.size() << " bytes)}";
}

constexpr const char* kTime1 = "2026-11-27T14:59:11.637496606Z";
constexpr const char* kTime2 = "2026-11-27T14:59:12.000000001Z";
const int64_t kNs1 = *ParseRfc3339Nanos(kTime1);
const int64_t kNs2 = *ParseRfc3339Nanos(kTime2);

// A frame of the engine's multiplexed stream.
std::string Frame(int stream, std::string_view payload) {
  std::string frame(8, '\0');
  frame[0] = static_cast<char>(stream);
  for (int i = 0; i < 4; ++i) {
    frame[4 + i] = static_cast<char>((payload.size() >> (24 - 8 * i)) & 0xff);
  }
  return frame + std::string(payload);
}

// A record as the engine frames it: "<time> <text>" with a newline unless it is a piece.
std::string Record(int stream, std::string_view time, std::string_view text, bool whole = true) {
  return Frame(stream, std::string(time) + " " + std::string(text) + (whole ? "\n" : ""));
}

std::vector<Line> Split(const std::vector<std::string_view>& pieces) {
  std::vector<Line> lines;
  LineSplitter splitter([&](const SplitLine& line) {
    EXPECT_LE(line.text.size(), kMaxLineBytes);
    EXPECT_EQ(line.text.find('\n'), std::string_view::npos);
    lines.push_back({line.time_ns, line.stream, std::string(line.text)});
  });
  for (std::string_view piece : pieces) splitter.Feed(piece);
  splitter.Finish();
  return lines;
}

std::vector<Line> SplitWhole(std::string_view stream) { return Split({stream}); }

// The stream fed byte by byte, and cut in two at every point: all give the same lines.
std::vector<Line> SplitEveryWay(std::string_view stream) {
  std::vector<Line> whole = SplitWhole(stream);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  EXPECT_EQ(Split(bytes), whole) << "fed byte by byte";
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    std::vector<Line> two = Split({stream.substr(0, cut), stream.substr(cut)});
    EXPECT_EQ(two, whole) << "cut at " << cut;
    if (two != whole) break;
  }
  return whole;
}

TEST(LineSplitterTest, RecordsOfBothStreams) {
  std::string stream = Record(1, kTime1, "hello") + Record(2, kTime2, "oops") +
                       Record(1, kTime2, "") + Record(1, kTime2, "bye");
  EXPECT_THAT(SplitEveryWay(stream), ElementsAre(Line{kNs1, 'o', "hello"}, Line{kNs2, 'e', "oops"},
                                                 Line{kNs2, 'o', ""}, Line{kNs2, 'o', "bye"}));
}

TEST(LineSplitterTest, TimesAsEnginesWriteThem) {
  // Podman's API: whole seconds; its log file and Docker: nanoseconds, offsets.
  std::string stream = Record(1, "2026-11-27T14:59:11Z", "a") +
                       Record(1, "2026-11-27T14:59:11.637496606+00:00", "b") +
                       Record(1, "2026-11-27T16:59:11.5+02:00", "c") +
                       Record(1, "2026-11-27T14:59:11.123456789123Z", "d");
  const int64_t second = *ParseRfc3339Nanos("2026-11-27T14:59:11Z");
  EXPECT_THAT(SplitEveryWay(stream),
              ElementsAre(Line{second, 'o', "a"}, Line{second + 637496606, 'o', "b"},
                          Line{second + 500000000, 'o', "c"}, Line{second + 123456789, 'o', "d"}));
}

TEST(LineSplitterTest, PiecesOfALineAreJoinedAndTimedByTheLast) {
  // conmon cuts lines; a piece of stdout, a whole stderr line between, then the rest.
  std::string stream = Record(1, kTime1, "abc", false) + Record(2, kTime1, "err") +
                       Record(1, kTime1, "def", false) + Record(1, kTime2, "ghi");
  EXPECT_THAT(SplitEveryWay(stream),
              ElementsAre(Line{kNs1, 'e', "err"}, Line{kNs2, 'o', "abcdefghi"}));
}

TEST(LineSplitterTest, AnOpenLineEndsWithTheStream) {
  std::string stream = Record(1, kTime1, "done") + Record(1, kTime2, "no newline", false) +
                       Record(2, kTime1, "err too", false);
  EXPECT_THAT(SplitEveryWay(stream),
              ElementsAre(Line{kNs1, 'o', "done"}, Line{kNs2, 'o', "no newline"},
                          Line{kNs1, 'e', "err too"}));
}

TEST(LineSplitterTest, SplitterIsReusableAfterFinish) {
  std::vector<Line> lines;
  LineSplitter splitter([&](const SplitLine& line) {
    lines.push_back({line.time_ns, line.stream, std::string(line.text)});
  });
  splitter.Feed(Record(1, kTime1, "first", false));
  splitter.Finish();
  // A TTY's stream this time.
  splitter.Feed(std::string(kTime2) + " raw\r\n");
  splitter.Finish();
  EXPECT_THAT(lines, ElementsAre(Line{kNs1, 'o', "first"}, Line{kNs2, 'o', "raw"}));
}

TEST(LineSplitterTest, LongLinesAreCut) {
  // 40,000 bytes in conmon's 8 KiB pieces.
  std::string text;
  for (int i = 0; text.size() < 40000; ++i) text += std::to_string(i % 10);
  std::string stream;
  for (size_t at = 0; at < text.size(); at += 8192) {
    bool last = at + 8192 >= text.size();
    stream += Record(1, last ? kTime2 : kTime1, text.substr(at, 8192), last);
  }
  std::vector<Line> lines = SplitWhole(stream);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text.size(), kMaxLineBytes);
  EXPECT_EQ(lines[1].text.size(), kMaxLineBytes);
  EXPECT_EQ(lines[0].text + lines[1].text + lines[2].text, text);
  // Each part is timed by the record that completed it.
  EXPECT_EQ(lines[0].time_ns, kNs1);
  EXPECT_EQ(lines[2].time_ns, kNs2);

  // In one record, and a line of exactly the limit is one line.
  std::string exact(kMaxLineBytes, 'x');
  std::vector<Line> one = SplitWhole(Record(2, kTime1, text) + Record(2, kTime1, exact) +
                                     Record(2, kTime1, exact + "\r"));
  ASSERT_EQ(one.size(), 5u);
  EXPECT_EQ(one[0].text + one[1].text + one[2].text, text);
  EXPECT_EQ(one[3].text, exact);
  EXPECT_EQ(one[4].text, exact);

  // The same however it is cut.
  std::vector<std::string_view> pieces;
  std::string all =
      stream + Record(2, kTime1, text) + Record(2, kTime1, exact) + Record(2, kTime1, exact + "\r");
  std::vector<Line> whole = SplitWhole(all);
  for (size_t size : {1u, 7u, 4096u, 8200u, 16385u}) {
    pieces.clear();
    for (size_t at = 0; at < all.size(); at += size)
      pieces.push_back(std::string_view(all).substr(at, size));
    EXPECT_EQ(Split(pieces), whole) << "pieces of " << size;
  }
}

TEST(LineSplitterTest, LongLinesAreCutBetweenUtf8Characters) {
  // "é" is two bytes; it would straddle the limit.
  std::string text = std::string(kMaxLineBytes - 1, 'a') + "\xc3\xa9" + "b";
  std::vector<Line> lines = SplitEveryWay(Record(1, kTime1, text));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, std::string(kMaxLineBytes - 1, 'a'));
  EXPECT_EQ(lines[1].text,
            "\xc3\xa9"
            "b");

  // Not UTF-8 at all: cut at the limit.
  std::string binary(kMaxLineBytes + 10, '\x80');
  lines = SplitWhole(Record(1, kTime1, binary));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text.size(), kMaxLineBytes);
  EXPECT_EQ(lines[1].text.size(), 10u);
}

TEST(LineSplitterTest, RecordsWithoutATimeAreText) {
  // A record without a time takes the time of the one before (none yet: 0).
  std::string stream = Frame(1, "no time here\n") + Record(1, kTime1, "timed") +
                       Frame(2, "2026-11-27 not a time\n") + Frame(1, "x\n") +
                       Frame(1, std::string(kTime1) + "\n") + Frame(1, "\n") +
                       Frame(1, std::string(60, 'y') + " z\n") + Frame(2, " leading space\n");
  EXPECT_THAT(
      SplitEveryWay(stream),
      ElementsAre(Line{0, 'o', "no time here"}, Line{kNs1, 'o', "timed"},
                  Line{kNs1, 'e', "2026-11-27 not a time"}, Line{kNs1, 'o', "x"},
                  Line{kNs1, 'o', kTime1}, Line{kNs1, 'o', ""},
                  Line{kNs1, 'o', std::string(60, 'y') + " z"}, Line{kNs1, 'e', " leading space"}));
  LineSplitter splitter([](const SplitLine&) {});
  splitter.Feed(stream);
  splitter.Finish();
  EXPECT_EQ(splitter.untimed(), 7);
  EXPECT_THAT(SplitWhole(Frame(1, " first\n")), ElementsAre(Line{0, 'o', " first"}));
}

TEST(LineSplitterTest, SeveralLinesInOneFrame) {
  // Each line after a newline may carry its own time.
  std::string stream = Frame(1, std::string(kTime1) + " one\n" + kTime2 + " two\nthree\n");
  EXPECT_THAT(SplitEveryWay(stream), ElementsAre(Line{kNs1, 'o', "one"}, Line{kNs2, 'o', "two"},
                                                 Line{kNs2, 'o', "three"}));
}

TEST(LineSplitterTest, AFrameEndingInItsTimeIsText) {
  std::string stream = Frame(1, "2026-11-27T14:59") + Record(1, kTime2, "next");
  EXPECT_THAT(SplitEveryWay(stream), ElementsAre(Line{kNs2, 'o', "2026-11-27T14:59next"}));
}

TEST(LineSplitterTest, CarriageReturnsAndNulBytes) {
  std::string stream = Record(1, kTime1, "crlf\r") + Record(1, kTime1, "two\r\r") +
                       Record(1, kTime1, "progress 10%\rprogress 20%") +
                       Record(2, kTime1, std::string("nul\0byte", 8)) + Record(1, kTime1, "\r");
  EXPECT_THAT(SplitEveryWay(stream),
              ElementsAre(Line{kNs1, 'o', "crlf"}, Line{kNs1, 'o', "two\r"},
                          Line{kNs1, 'o', "progress 10%\rprogress 20%"},
                          Line{kNs1, 'e', std::string("nul\0byte", 8)}, Line{kNs1, 'o', ""}));
}

TEST(LineSplitterTest, TerminalStreamsAreUnframed) {
  // A TTY container: no frames, CRLF, and a line written in two pieces keeps the second
  // piece's time in its text (there is no record boundary to find).
  std::string stream = std::string(kTime1) + " tty1\r\n" + kTime1 + " part" + kTime2 + " rest\r\n" +
                       kTime2 + " last";
  std::vector<Line> lines = SplitEveryWay(stream);
  EXPECT_THAT(lines, ElementsAre(Line{kNs1, 'o', "tty1"},
                                 Line{kNs1, 'o', std::string("part") + kTime2 + " rest"},
                                 Line{kNs2, 'o', "last"}));
  LineSplitter splitter([](const SplitLine&) {});
  splitter.Feed(stream);
  EXPECT_TRUE(splitter.raw());
}

TEST(LineSplitterTest, GarbageAfterFramesIsText) {
  std::string stream = Record(1, kTime1, "framed") + "\x07garbage\nmore";
  EXPECT_THAT(SplitEveryWay(stream),
              ElementsAre(Line{kNs1, 'o', "framed"}, Line{kNs1, 'o', "\x07garbage"},
                          Line{kNs1, 'o', "more"}));
}

TEST(LineSplitterTest, EmptyFramesAndCutHeaders) {
  std::string stream =
      Frame(1, "") + Record(2, kTime1, "x") + Frame(2, "") + std::string("\x01\0\0", 3);
  EXPECT_THAT(SplitEveryWay(stream), ElementsAre(Line{kNs1, 'e', "x"}));
  // A frame announcing more than comes: what came is a piece of a line.
  std::string cut = Frame(1, std::string(kTime1) + " cut short").substr(0, 8 + 37);
  cut[7] = 100;
  EXPECT_THAT(SplitWhole(cut), ElementsAre(Line{kNs1, 'o', "cut sh"}));
}

TEST(LineSplitterTest, RandomGarbageGivesTheSameLinesHoweverItIsCut) {
  std::mt19937 random(12345);
  for (int round = 0; round < 300; ++round) {
    std::string stream;
    int records = static_cast<int>(random() % 20);
    for (int i = 0; i < records; ++i) {
      switch (random() % 5) {
        case 0: {  // bytes of anything
          std::string bytes(random() % 40, '\0');
          for (char& c : bytes) c = static_cast<char>(random() % 256);
          stream += bytes;
          break;
        }
        case 1:  // a record, maybe a piece
          stream += Record(1 + static_cast<int>(random() % 2), random() % 2 ? kTime1 : kTime2,
                           std::string(random() % 30, 'a' + static_cast<char>(random() % 26)),
                           random() % 3 != 0);
          break;
        case 2:  // a frame of newlines, CRs and spaces
          stream +=
              Frame(1, std::string(random() % 5, '\n') + " \r " + std::string(random() % 3, '\n'));
          break;
        case 3:  // a long line
          stream += Record(2, kTime2, std::string(kMaxLineBytes + random() % 100, 'L'));
          break;
        default:  // a frame header cut short
          stream += std::string("\x02\0\0\0", 4);
          break;
      }
    }
    std::vector<Line> whole = SplitWhole(stream);
    std::vector<std::string_view> pieces;
    std::string_view rest = stream;
    while (!rest.empty()) {
      size_t size = std::min<size_t>(rest.size(), 1 + random() % 64);
      pieces.push_back(rest.substr(0, size));
      rest.remove_prefix(size);
    }
    ASSERT_EQ(Split(pieces), whole) << "round " << round;
  }
}

TEST(LineSplitterTest, ManyLinesQuickly) {
  // Not a timing assertion: a sanity check that a large stream goes through in one piece and
  // in small ones alike; the speed is printed for the curious.
  std::string stream;
  for (int i = 0; i < 200000; ++i) {
    stream += Record(i % 7 == 0 ? 2 : 1, kTime1, std::to_string(i));
  }
  int64_t count = 0;
  int64_t sum = 0;
  LineSplitter splitter([&](const SplitLine& line) {
    ++count;
    sum += std::stoll(std::string(line.text));
  });
  auto start = std::chrono::steady_clock::now();
  for (size_t at = 0; at < stream.size(); at += 65536) {
    splitter.Feed(std::string_view(stream).substr(at, 65536));
  }
  splitter.Finish();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(count, 200000);
  EXPECT_EQ(sum, int64_t{199999} * 200000 / 2);
  std::printf("split %lld lines in %.3f s (%.1f million lines/s)\n", static_cast<long long>(count),
              seconds, static_cast<double>(count) / seconds / 1e6);
}

}  // namespace
}  // namespace yard::logs
