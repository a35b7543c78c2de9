#include "runtime/docker_stream.h"

#include <gtest/gtest.h>

#include <string>

namespace yard::runtime::docker {
namespace {

using Kind = ProgressDecoder::Event::Kind;

std::string Frame(char stream, std::string_view payload) {
  std::string frame(8, '\0');
  frame[0] = stream;
  uint32_t size = static_cast<uint32_t>(payload.size());
  frame[4] = static_cast<char>(size >> 24);
  frame[5] = static_cast<char>(size >> 16);
  frame[6] = static_cast<char>(size >> 8);
  frame[7] = static_cast<char>(size);
  return frame + std::string(payload);
}

// ---- Streams ------------------------------------------------------------------------------

TEST(ProgressDecoderTest, BuildOutputInArbitraryPieces) {
  const std::string stream = R"({"stream":"STEP 1/2: FROM debian\n"})"
                             "\n"
                             R"({"stream":"partial "})"
                             "\n"
                             R"({"stream":"line\nnext\n"})"
                             "\n"
                             R"({"aux":{"ID":"sha256:28ac"}})"
                             "\r\n"
                             R"({"stream":"Successfully built 28ac\n"})"
                             "\n";
  // Every split point must give the same events.
  for (size_t split = 0; split <= stream.size(); ++split) {
    ProgressDecoder decoder;
    std::vector<ProgressDecoder::Event> events;
    decoder.Feed(std::string_view(stream).substr(0, split), events);
    decoder.Feed(std::string_view(stream).substr(split), events);
    decoder.Finish(events);
    ASSERT_EQ(events.size(), 5u) << split;
    EXPECT_EQ(events[0].kind, Kind::kLine);
    EXPECT_EQ(events[0].text, "STEP 1/2: FROM debian");
    EXPECT_EQ(events[1].text, "partial line");
    EXPECT_EQ(events[2].text, "next");
    EXPECT_EQ(events[3].kind, Kind::kImageId);
    EXPECT_EQ(events[3].text, "sha256:28ac");
    EXPECT_EQ(events[4].text, "Successfully built 28ac");
  }
}

TEST(ProgressDecoderTest, ErrorsAndPullStatus) {
  ProgressDecoder decoder;
  std::vector<ProgressDecoder::Event> events;
  decoder.Feed(
      R"({"status":"Downloading","progressDetail":{},"id":"abc","progress":"[==>  ] 1MB/2MB"})"
      "\n"
      R"({"errorDetail":{"message":"building at STEP \"RUN exit 3\": exit status 3\n"},"error":"building at STEP \"RUN exit 3\": exit status 3\n"})"
      "\n"
      "not json at all\n"
      R"({"stream":"no newline at the end"})",
      events);
  decoder.Finish(events);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, Kind::kLine);
  EXPECT_EQ(events[0].text, "abc: Downloading [==>  ] 1MB/2MB");
  EXPECT_EQ(events[1].kind, Kind::kError);
  EXPECT_EQ(events[1].text, R"(building at STEP "RUN exit 3": exit status 3)");
  EXPECT_EQ(events[2].text, "not json at all");
  EXPECT_EQ(events[3].text, "no newline at the end");
}

TEST(DemuxerTest, InterleavesFramesInArrivalOrder) {
  const std::string stream =
      Frame(1, "hello\n") + Frame(2, "oops\n") + Frame(1, "") + Frame(1, std::string(70000, 'x'));
  for (size_t split : {0ul, 1ul, 7ul, 8ul, 9ul, 14ul, 15ul, 30ul, stream.size()}) {
    Demuxer demuxer;
    demuxer.Feed(std::string_view(stream).substr(0, split));
    demuxer.Feed(std::string_view(stream).substr(split));
    demuxer.Finish();
    EXPECT_FALSE(demuxer.raw());
    EXPECT_EQ(demuxer.output(), "hello\noops\n" + std::string(70000, 'x')) << split;
  }
}

TEST(DemuxerTest, ByteByByte) {
  const std::string stream = Frame(1, "out1\n") + Frame(2, "err1\n") + Frame(1, "out2\n");
  Demuxer demuxer;
  for (char c : stream) demuxer.Feed(std::string_view(&c, 1));
  demuxer.Finish();
  EXPECT_EQ(demuxer.output(), "out1\nerr1\nout2\n");
}

TEST(DemuxerTest, UnframedInputPassesThrough) {
  Demuxer demuxer;
  demuxer.Feed("plain tty output\n");
  demuxer.Feed("more\n");
  demuxer.Finish();
  EXPECT_TRUE(demuxer.raw());
  EXPECT_EQ(demuxer.output(), "plain tty output\nmore\n");

  Demuxer short_input;
  short_input.Feed("hi");
  short_input.Finish();
  EXPECT_EQ(short_input.output(), "hi");

  Demuxer empty;
  empty.Finish();
  EXPECT_EQ(empty.output(), "");
}

TEST(DemuxerTest, CapsOutput) {
  Demuxer demuxer(10);
  demuxer.Feed(Frame(1, "0123456789abcdef"));
  demuxer.Feed(Frame(2, "more"));
  EXPECT_EQ(demuxer.output(), "0123456789");
  EXPECT_TRUE(demuxer.truncated());
}

}  // namespace
}  // namespace yard::runtime::docker
