#include "logs/segment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/fs.h"
#include "logs/cursor.h"
#include "logs/line_format.h"
#include "testing/temp_dir.h"

namespace yard::logs {
namespace {

using yard::testing::TempDir;

std::vector<std::string> ReadForward(const std::string& path, uint64_t offset = 0,
                                     uint64_t* end = nullptr) {
  auto reader = ForwardLineReader::Open(path, offset);
  EXPECT_TRUE(reader.has_value());
  std::vector<std::string> lines;
  while (auto line = reader->Next()) lines.emplace_back(*line);
  EXPECT_TRUE(reader->status().has_value());
  if (end != nullptr) *end = reader->offset();
  return lines;
}

std::vector<std::string> ReadBackward(const std::string& path, uint64_t* end = nullptr) {
  auto reader = BackwardLineReader::Open(path);
  EXPECT_TRUE(reader.has_value());
  if (end != nullptr) *end = reader->end();
  std::vector<std::string> lines;
  while (auto line = reader->Prev()) lines.emplace_back(*line);
  EXPECT_TRUE(reader->status().has_value());
  return {lines.rbegin(), lines.rend()};
}

TEST(LineFormatTest, RoundTrip) {
  LogLine line{.time_ns = 1'800'000'000'123'456'789,
               .stream = 'e',
               .container = "0123456789ab",
               .generation = 7,
               .text = "héllo  world "};
  std::string stored;
  EXPECT_EQ(FormatLine(line, stored), 1);
  EXPECT_EQ(stored, "1800000000123456789 e 0123456789ab 7 héllo  world \n");
  auto parsed = ParseLine(std::string_view(stored).substr(0, stored.size() - 1));
  ASSERT_TRUE(parsed.has_value());
  LogLine back = parsed->ToLogLine();
  EXPECT_EQ(back.time_ns, line.time_ns);
  EXPECT_EQ(back.stream, 'e');
  EXPECT_EQ(back.container, line.container);
  EXPECT_EQ(back.generation, 7);
  EXPECT_EQ(back.text, line.text);
  EXPECT_EQ(ParseLineTime(stored), line.time_ns);
}

TEST(LineFormatTest, EmptyTextWithOrWithoutTrailingSpace) {
  auto with = ParseLine("5 o abc 0 ");
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(with->text, "");
  auto without = ParseLine("5 o abc 0");
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->text, "");
}

TEST(LineFormatTest, SplitsNewlinesAndLongTexts) {
  std::string stored;
  LogLine line{.time_ns = 1, .container = "abc", .text = "one\ntwo\n"};
  EXPECT_EQ(FormatLine(line, stored), 2);
  EXPECT_EQ(stored, "1 o abc 0 one\n1 o abc 0 two\n");

  // 2.5 times the limit in two-byte characters: pieces end on character boundaries.
  std::string text;
  while (text.size() < kMaxLineBytes * 5 / 2) text += "é";
  stored.clear();
  line.text = text;
  EXPECT_EQ(FormatLine(line, stored), 3);
  std::string joined;
  size_t start = 0;
  while (start < stored.size()) {
    size_t end = stored.find('\n', start);
    auto piece = ParseLine(std::string_view(stored).substr(start, end - start));
    ASSERT_TRUE(piece.has_value());
    EXPECT_LE(piece->text.size(), kMaxLineBytes);
    EXPECT_EQ(piece->text.size() % 2, 0u);
    joined += piece->text;
    start = end + 1;
  }
  EXPECT_EQ(joined, text);
}

TEST(LineFormatTest, RejectsCorruptLines) {
  for (std::string_view bad : {"", "x o abc 1 t", "5", "5 ", "5 x abc 1 t", "5 o  1 t",
                               "5 o ABC 1 t", "5 o abc", "5 o abc x t", "5 o abc 1x t",
                               "-5 o abc 1 t", "99999999999999999999 o abc 1 t", "5 oo abc 1 t"}) {
    EXPECT_FALSE(ParseLine(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseLineTime("12x o").has_value());
  EXPECT_FALSE(ParseLineTime("12").has_value());
}

TEST(LineFormatTest, ValidatesWhatIsAppended) {
  LogLine good{.time_ns = 1, .container = "abcdef012345"};
  EXPECT_TRUE(ValidateLine(good).has_value());
  for (auto bad :
       {LogLine{.time_ns = -1, .container = "abc"}, LogLine{.stream = 'x', .container = "abc"},
        LogLine{.container = ""}, LogLine{.container = "ABC"}, LogLine{.container = "ab c"},
        LogLine{.container = std::string(65, 'a')},
        LogLine{.container = "abc", .generation = -1}}) {
    EXPECT_FALSE(ValidateLine(bad).has_value());
  }
}

TEST(SegmentTest, FileNames) {
  EXPECT_EQ(SegmentFileName(1'800'000'000'000'000'000), "01800000000000000000.log");
  EXPECT_EQ(ParseSegmentFileName("01800000000000000000.log"), 1'800'000'000'000'000'000);
  EXPECT_FALSE(ParseSegmentFileName("1800000000000000000.log").has_value());
  EXPECT_FALSE(ParseSegmentFileName("0180000000000000000x.log").has_value());
  EXPECT_FALSE(ParseSegmentFileName("01800000000000000000.log.tmp").has_value());
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.log").has_value());  // beyond int64
}

TEST(SegmentTest, ListsSegmentsOldestFirst) {
  TempDir dir;
  ASSERT_TRUE(fs::AtomicWriteFile(dir.File(SegmentFileName(20)), "abc\n").has_value());
  ASSERT_TRUE(fs::AtomicWriteFile(dir.File(SegmentFileName(3)), "").has_value());
  ASSERT_TRUE(fs::AtomicWriteFile(dir.File("notes.txt"), "x").has_value());
  auto segments = ListSegments(dir.path());
  ASSERT_TRUE(segments.has_value());
  ASSERT_EQ(segments->size(), 2u);
  EXPECT_EQ((*segments)[0].name, 3);
  EXPECT_EQ((*segments)[1].name, 20);
  EXPECT_EQ((*segments)[1].bytes, 4u);
  auto missing = ListSegments(dir.File("absent"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(missing->empty());
}

TEST(SegmentTest, ReadersSkipAPartialLastLine) {
  TempDir dir;
  std::string path = dir.File("s.log");
  ASSERT_TRUE(fs::AtomicWriteFile(path, "one\n\nthree\npart").has_value());
  uint64_t end = 0;
  EXPECT_EQ(ReadForward(path, 0, &end), (std::vector<std::string>{"one", "", "three"}));
  EXPECT_EQ(end, 11u);
  EXPECT_EQ(ReadBackward(path, &end), (std::vector<std::string>{"one", "", "three"}));
  EXPECT_EQ(end, 11u);
  EXPECT_EQ(ReadForward(path, 4), (std::vector<std::string>{"", "three"}));

  ASSERT_TRUE(fs::AtomicWriteFile(path, "no newline at all").has_value());
  EXPECT_TRUE(ReadForward(path, 0, &end).empty());
  EXPECT_EQ(end, 0u);
  EXPECT_TRUE(ReadBackward(path, &end).empty());
  EXPECT_EQ(end, 0u);

  EXPECT_FALSE(ForwardLineReader::Open(dir.File("gone.log"), 0).has_value());
  EXPECT_EQ(BackwardLineReader::Open(dir.File("gone.log")).error().code, ErrorCode::kNotFound);
}

TEST(SegmentTest, ReadersCrossBlocksAndDropOverlongLines) {
  TempDir dir;
  std::string path = dir.File("s.log");
  std::vector<std::string> expected;
  std::string content;
  // Lines of every length up to the limit, so that they end everywhere in the blocks, and
  // three overlong ones (come back empty).
  for (int i = 0; content.size() < 3 * 1024 * 1024; ++i) {
    std::string line;
    if (i % 97 == 50) {
      line = std::string(kMaxStoredLineBytes + 1 + i, 'x');
      expected.emplace_back();
    } else {
      line =
          std::to_string(i) + std::string(static_cast<size_t>(i * 7919) % kMaxStoredLineBytes, 'a');
      expected.push_back(line);
    }
    content += line + "\n";
  }
  content += std::string(1024 * 1024, 'z');  // an overlong partial last line: not returned
  ASSERT_TRUE(fs::AtomicWriteFile(path, content).has_value());
  EXPECT_EQ(ReadForward(path), expected);
  EXPECT_EQ(ReadBackward(path), expected);
}

TEST(CursorTest, RoundTripAndRejects) {
  CursorPositions positions{{"web", {1'800'000'000'000'000'000, 12345}}, {"db-2", {0, 0}}};
  std::string cursor = EncodeCursor(positions);
  EXPECT_EQ(cursor, "db-2.0.0_web.1800000000000000000.12345");
  auto decoded = DecodeCursor(cursor);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, positions);
  EXPECT_TRUE(DecodeCursor("")->empty());
  for (std::string_view bad :
       {"web", "web.1", "web.1.2.3", "../x.1.2", "Web.1.2", "web.-1.2", "web.1.2_", "_web.1.2",
        "web.1.2_web.1.3", "web.1.99999999999999999999999", "web.x.2", "web..2"}) {
    EXPECT_FALSE(DecodeCursor(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace yard::logs
