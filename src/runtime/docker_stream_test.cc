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

using Piece = docker::Frame;

// The pieces of one run of the decoder, with pieces of one stream in a row merged: how they
// were cut depends on the reads, what they say must not.
std::vector<std::pair<int, std::string>> Merged(const std::vector<Piece>& pieces) {
  std::vector<std::pair<int, std::string>> merged;
  for (const Piece& piece : pieces) {
    EXPECT_FALSE(piece.data.empty());
    if (!merged.empty() && merged.back().first == piece.stream) {
      merged.back().second += piece.data;
    } else {
      merged.emplace_back(piece.stream, piece.data);
    }
  }
  return merged;
}

TEST(FrameDecoderTest, KeepsStdoutAndStderrApartAtEverySplit) {
  const std::string stream = Frame(1, "hello\n") + Frame(2, "done\n") + Frame(2, "") +
                             Frame(1, "a") + Frame(1, "bc") + Frame(2, std::string(300, 'e'));
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "hello\n"}, {2, "done\n"}, {1, "abc"}, {2, std::string(300, 'e')}};
  for (size_t split = 0; split <= stream.size(); ++split) {
    for (size_t second = split; second <= stream.size(); second += 7) {
      FrameDecoder decoder;
      std::vector<Piece> pieces;
      decoder.Feed(std::string_view(stream).substr(0, split), pieces);
      decoder.Feed(std::string_view(stream).substr(split, second - split), pieces);
      decoder.Feed(std::string_view(stream).substr(second), pieces);
      EXPECT_EQ(Merged(pieces), expected) << "split at " << split << " and " << second;
      EXPECT_FALSE(decoder.mid_frame());
      EXPECT_FALSE(decoder.raw());
    }
  }
}

TEST(FrameDecoderTest, HandsOnPayloadsAsTheyArrive) {
  FrameDecoder decoder;
  std::vector<Piece> pieces;
  std::string frame = Frame(2, "0123456789");
  decoder.Feed(std::string_view(frame).substr(0, 5), pieces);
  EXPECT_TRUE(pieces.empty());
  EXPECT_TRUE(decoder.mid_frame());
  decoder.Feed(std::string_view(frame).substr(5, 7), pieces);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].stream, 2);
  EXPECT_EQ(pieces[0].data, "0123");
  pieces.clear();
  decoder.Feed(std::string_view(frame).substr(12), pieces);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].data, "456789");
  EXPECT_FALSE(decoder.mid_frame());
}

TEST(FrameDecoderTest, MergesSmallFramesOfOneStreamInOneRead) {
  FrameDecoder decoder;
  std::vector<Piece> pieces;
  decoder.Feed(Frame(1, "a") + Frame(1, "b") + Frame(1, "c"), pieces);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].data, "abc");
}

TEST(FrameDecoderTest, UnframedInputIsStdout) {
  FrameDecoder decoder;
  std::vector<Piece> pieces;
  decoder.Feed("plain", pieces);
  decoder.Feed(Frame(2, "x"), pieces);
  EXPECT_TRUE(decoder.raw());
  EXPECT_EQ(Merged(pieces),
            (std::vector<std::pair<int, std::string>>{{1, "plain" + Frame(2, "x")}}));

  FrameDecoder broken_later;
  pieces.clear();
  broken_later.Feed(Frame(1, "ok") + "\x07garbage", pieces);
  EXPECT_TRUE(broken_later.raw());
  EXPECT_EQ(Merged(pieces), (std::vector<std::pair<int, std::string>>{{1, "ok\x07garbage"}}));
}

}  // namespace
}  // namespace yard::runtime::docker
