// Podman's CRI log files turned into the engine's log stream, and followed while a stand-in
// for conmon (a child process) runs.

#include "runtime/podman_log_file.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "runtime/docker_stream.h"
#include "testing/temp_dir.h"

namespace yard::runtime {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

struct Piece {
  int stream;
  std::string data;
  bool operator==(const Piece&) const = default;
};

void PrintTo(const Piece& piece, std::ostream* out) {
  *out << "{" << piece.stream << " \"" << piece.data << "\"}";
}

// The frames of a stream, one piece each (FrameDecoder would join those of one stream).
std::vector<Piece> Frames(std::string_view stream) {
  std::vector<Piece> pieces;
  while (stream.size() >= 8) {
    size_t size = (static_cast<size_t>(static_cast<unsigned char>(stream[4])) << 24) |
                  (static_cast<size_t>(static_cast<unsigned char>(stream[5])) << 16) |
                  (static_cast<size_t>(static_cast<unsigned char>(stream[6])) << 8) |
                  static_cast<unsigned char>(stream[7]);
    EXPECT_LE(8 + size, stream.size());
    pieces.push_back({stream[0], std::string(stream.substr(8, size))});
    stream.remove_prefix(std::min(stream.size(), 8 + size));
  }
  EXPECT_TRUE(stream.empty());
  return pieces;
}

constexpr std::string_view kFile =
    "2026-11-27T14:59:11.637496606+00:00 stdout F line1\n"
    "2026-11-27T14:59:11.637584189+00:00 stderr F err1\n"
    "2026-11-27T14:59:32.321092735+00:00 stdout P aaaa\n"
    "2026-11-27T14:59:32.321308989+00:00 stdout F \n"
    "2026-11-27T14:59:32.823378468+00:00 stdout P nonl\n";

TEST(ParseLogTimeTest, Forms) {
  const int64_t second = 1'795'791'551'000'000'000;  // 2026-11-27T14:59:11Z
  EXPECT_EQ(ParseLogTime("2026-11-27T14:59:11Z"), second);
  EXPECT_EQ(ParseLogTime("2026-11-27T14:59:11.637496606+00:00"), second + 637496606);
  EXPECT_EQ(ParseLogTime("2026-11-27T16:59:11.5+02:00"), second + 500000000);
  EXPECT_EQ(ParseLogTime("2026-11-27T13:59:11.1234567891-01:00"), second + 123456789);
  EXPECT_EQ(ParseLogTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseLogTime("2026-11-27T14:59:11"), std::nullopt);
  EXPECT_EQ(ParseLogTime("2026-11-27T14:59:11.Z"), std::nullopt);
  EXPECT_EQ(ParseLogTime("2026-13-27T14:59:11Z"), std::nullopt);
  EXPECT_EQ(ParseLogTime("2026-11-27T14:59:11Zjunk"), std::nullopt);
  EXPECT_EQ(ParseLogTime("stdout"), std::nullopt);
}

TEST(CriLogDecoderTest, RecordsBecomeFrames) {
  CriLogDecoder decoder;
  std::string out;
  decoder.Feed(kFile, out);
  EXPECT_THAT(Frames(out), ElementsAre(Piece{1, "2026-11-27T14:59:11.637496606+00:00 line1\n"},
                                       Piece{2, "2026-11-27T14:59:11.637584189+00:00 err1\n"},
                                       Piece{1, "2026-11-27T14:59:32.321092735+00:00 aaaa"},
                                       Piece{1, "2026-11-27T14:59:32.321308989+00:00 \n"},
                                       Piece{1, "2026-11-27T14:59:32.823378468+00:00 nonl"}));
  EXPECT_EQ(decoder.malformed(), 0);
}

TEST(CriLogDecoderTest, FedInAnyPieces) {
  CriLogDecoder whole_decoder;
  std::string whole;
  whole_decoder.Feed(kFile, whole);
  for (size_t cut = 1; cut < kFile.size(); ++cut) {
    CriLogDecoder decoder;
    std::string out;
    decoder.Feed(kFile.substr(0, cut), out);
    decoder.Feed(kFile.substr(cut), out);
    ASSERT_EQ(out, whole) << "cut at " << cut;
  }
}

TEST(CriLogDecoderTest, SinceLeavesOutEarlierRecords) {
  CriLogDecoder decoder(*ParseLogTime("2026-11-27T14:59:11.637584189Z"));
  std::string out;
  decoder.Feed(kFile, out);
  std::vector<Piece> frames = Frames(out);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0], (Piece{2, "2026-11-27T14:59:11.637584189+00:00 err1\n"}));
}

TEST(CriLogDecoderTest, MalformedRecordsAreSkipped) {
  CriLogDecoder decoder;
  std::string out;
  decoder.Feed("garbage\n2026-11-27T14:59:11Z stdin F x\n2026-11-27T14:59:11Z stdout Q x\n", out);
  // Far longer than a record, in pieces: dropped up to its newline.
  std::string junk = std::string(50 * 1024, 'x');
  decoder.Feed(junk, out);
  decoder.Feed(junk, out);
  decoder.Feed(junk, out);
  decoder.Feed("\nnot-a-time stdout F x\n2026-11-27T14:59:11Z stdout F", out);
  decoder.Feed("\n2026-11-27T14:59:11Z stderr F:extra tagged\n", out);
  EXPECT_THAT(Frames(out), ElementsAre(Piece{1, "2026-11-27T14:59:11Z \n"},
                                       Piece{2, "2026-11-27T14:59:11Z tagged\n"}));
  EXPECT_EQ(decoder.malformed(), 5);
}

TEST(ParsePodmanLogFileTest, InspectAnswers) {
  auto running = ParsePodmanLogFile(
      R"({"State":{"Status":"running","Running":true,"ConmonPid":6613},
          "HostConfig":{"LogConfig":{"Type":"k8s-file","Path":"/var/lib/x/ctr.log"}}})");
  ASSERT_TRUE(running);
  EXPECT_EQ(running->driver, "k8s-file");
  EXPECT_EQ(running->path, "/var/lib/x/ctr.log");
  EXPECT_EQ(running->conmon_pid, 6613);
  // A stale pid of a stopped container is not taken.
  auto exited = ParsePodmanLogFile(
      R"({"State":{"Status":"exited","ConmonPid":6613},
          "HostConfig":{"LogConfig":{"Type":"journald"}}})");
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->driver, "journald");
  EXPECT_EQ(exited->conmon_pid, 0);
  EXPECT_FALSE(ParsePodmanLogFile("[]"));
  EXPECT_FALSE(ParsePodmanLogFile("not json"));
}

// A child process standing in for conmon: it runs until killed.
class StandIn {
 public:
  StandIn() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::pause();
      ::_exit(0);
    }
  }
  ~StandIn() { End(); }
  int64_t pid() const { return pid_; }
  void End() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class FollowLogFileTest : public ::testing::Test {
 protected:
  void Write(std::string_view text) { std::ofstream(path_, std::ios::app) << text; }

  // Runs FollowLogFile on a thread; the frames it passed on so far.
  void Follow(int64_t conmon_pid, int64_t since_ns = 0) {
    thread_ = std::thread([this, conmon_pid, since_ns] {
      status_ = FollowLogFile(
          {.driver = "k8s-file", .path = path_, .conmon_pid = conmon_pid}, since_ns,
          [this](std::string_view chunk) {
            std::lock_guard lock(mutex_);
            stream_.append(chunk);
          },
          &cancel_);
      done_ = true;
    });
  }

  std::string stream() {
    std::lock_guard lock(mutex_);
    return stream_;
  }

  bool WaitFor(const std::function<bool()>& condition) {
    for (int i = 0; i < 3000 && !condition(); ++i) std::this_thread::sleep_for(10ms);
    return condition();
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  ~FollowLogFileTest() override {
    cancel_ = true;
    Join();
  }

  testing::TempDir dir_;
  std::string path_ = dir_.File("ctr.log");
  std::atomic<bool> cancel_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::string stream_;
  Status status_ = Ok();
};

TEST_F(FollowLogFileTest, FollowsUntilConmonEnds) {
  StandIn conmon;
  Write("2026-11-27T14:59:11Z stdout F one\n");
  Follow(conmon.pid());
  ASSERT_TRUE(WaitFor([&] { return Frames(stream()).size() == 1; }));
  // A record written in two writes.
  Write("2026-11-27T14:59:12Z std");
  std::this_thread::sleep_for(100ms);
  Write("err F two\n");
  ASSERT_TRUE(WaitFor([&] { return Frames(stream()).size() == 2; }));
  EXPECT_FALSE(done_);
  Write("2026-11-27T14:59:13Z stdout F three\n");
  conmon.End();
  Join();
  ASSERT_TRUE(status_) << status_.error().message;
  EXPECT_THAT(Frames(stream()), ElementsAre(Piece{1, "2026-11-27T14:59:11Z one\n"},
                                            Piece{2, "2026-11-27T14:59:12Z two\n"},
                                            Piece{1, "2026-11-27T14:59:13Z three\n"}));
}

TEST_F(FollowLogFileTest, AStoppedContainersFileIsReadToItsEnd) {
  std::string file;
  for (int i = 0; i < 20000; ++i)
    file += "2026-11-27T14:59:11Z stdout F " + std::to_string(i) + "\n";
  Write(file);
  Follow(0, *ParseLogTime("2026-11-27T14:59:11Z"));
  Join();
  ASSERT_TRUE(status_);
  std::vector<Piece> frames = Frames(stream());
  ASSERT_EQ(frames.size(), 20000u);
  EXPECT_EQ(frames.back().data, "2026-11-27T14:59:11Z 19999\n");
  // Later than everything: nothing.
  stream_.clear();
  Follow(0, *ParseLogTime("2026-11-27T14:59:12Z"));
  Join();
  EXPECT_EQ(stream(), "");
}

TEST_F(FollowLogFileTest, NoFileYet) {
  // Never started: no file, nothing to wait for.
  Follow(0);
  Join();
  EXPECT_TRUE(status_);
  EXPECT_EQ(stream(), "");
  // Starting: the file comes.
  StandIn conmon;
  Follow(conmon.pid());
  std::this_thread::sleep_for(100ms);
  Write("2026-11-27T14:59:11Z stdout F late\n");
  ASSERT_TRUE(WaitFor([&] { return !stream().empty(); }));
  conmon.End();
  Join();
  EXPECT_TRUE(status_);
}

TEST_F(FollowLogFileTest, FollowsIntoARotatedFile) {
  StandIn conmon;
  Write("2026-11-27T14:59:11Z stdout F old\n");
  Follow(conmon.pid());
  ASSERT_TRUE(WaitFor([&] { return Frames(stream()).size() == 1; }));
  // As conmon rotates: a new file renamed over the old, after a last line in the old one.
  std::ofstream(dir_.File("ctr.log.tmp")) << "2026-11-27T14:59:12Z stdout F new\n";
  Write("2026-11-27T14:59:11Z stdout F last old\n");
  std::filesystem::rename(dir_.File("ctr.log.tmp"), path_);
  ASSERT_TRUE(WaitFor([&] { return Frames(stream()).size() == 3; }));
  conmon.End();
  Join();
  EXPECT_THAT(Frames(stream()), ElementsAre(Piece{1, "2026-11-27T14:59:11Z old\n"},
                                            Piece{1, "2026-11-27T14:59:11Z last old\n"},
                                            Piece{1, "2026-11-27T14:59:12Z new\n"}));
}

TEST_F(FollowLogFileTest, CancelAndRemoval) {
  StandIn conmon;
  Write("2026-11-27T14:59:11Z stdout F one\n");
  Follow(conmon.pid());
  ASSERT_TRUE(WaitFor([&] { return !stream().empty(); }));
  cancel_ = true;
  Join();
  ASSERT_FALSE(status_);
  EXPECT_EQ(status_.error().code, ErrorCode::kCancelled);

  // The file removed with its container: the follow ends with what it read.
  cancel_ = false;
  stream_.clear();
  Follow(conmon.pid());
  ASSERT_TRUE(WaitFor([&] { return !stream().empty(); }));
  std::filesystem::remove(path_);
  Join();
  EXPECT_TRUE(status_);
}

}  // namespace
}  // namespace yard::runtime
