#include "volumes/file_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "testing/temp_dir.h"

namespace yard::volumes {
namespace {

class FileCopyTest : public ::testing::Test {
 protected:
  // Copies `data` (written at `offset` into a file of `size`) with `state`; returns the copy.
  std::string RoundTrip(const std::string& data, int64_t offset, int64_t size, FileCopyState state,
                        FileCopyMethod* method, int64_t* reported) {
    std::string from = dir_.File("from"), to = dir_.File("to");
    ::unlink(to.c_str());
    UniqueFd out_source(::open(from.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    EXPECT_EQ(::pwrite(out_source.get(), data.data(), data.size(), offset),
              static_cast<ssize_t>(data.size()));
    EXPECT_EQ(::ftruncate(out_source.get(), size), 0);
    out_source.reset();
    UniqueFd in(::open(from.c_str(), O_RDONLY));
    UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
    *reported = 0;
    *method = MUST(CopyFileData(
        in.get(), out.get(), size, state,
        [&](int64_t bytes) {
          *reported += bytes;
          return true;
        },
        from));
    return MUST(fs::ReadFile(to));
  }

  testing::TempDir dir_;
};

TEST_F(FileCopyTest, EachWayCopiesTheSameBytes) {
  std::string data(5 << 20, 'x');
  data[123] = 'y';
  std::string expected = std::string(1 << 20, '\0') + data + std::string(1 << 20, '\0');
  int64_t size = static_cast<int64_t>(expected.size());
  FileCopyMethod method{};
  int64_t reported = 0;

  EXPECT_EQ(RoundTrip(data, 1 << 20, size, {.try_reflink = false, .try_copy_file_range = false},
                      &method, &reported),
            expected);
  EXPECT_EQ(method, FileCopyMethod::kReadWrite);
  EXPECT_EQ(reported, size);

  EXPECT_EQ(RoundTrip(data, 1 << 20, size, {.try_reflink = false}, &method, &reported), expected);
  EXPECT_NE(method, FileCopyMethod::kReflink);
  EXPECT_EQ(reported, size);

  EXPECT_EQ(RoundTrip(data, 1 << 20, size, {}, &method, &reported), expected);
  EXPECT_EQ(reported, size);
}

TEST_F(FileCopyTest, AFailedReflinkIsNotTriedAgain) {
  FileCopyState state;
  std::string from = dir_.File("from"), to = dir_.File("to");
  ASSERT_TRUE(fs::AtomicWriteFile(from, "some bytes"));
  UniqueFd in(::open(from.c_str(), O_RDONLY));
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
  FileCopyMethod method = MUST(CopyFileData(
      in.get(), out.get(), 10, state, [](int64_t) { return true; }, from));
  EXPECT_EQ(state.try_reflink, method == FileCopyMethod::kReflink);
  EXPECT_EQ(MUST(fs::ReadFile(to)), "some bytes");
}

TEST_F(FileCopyTest, StopsWhenAsked) {
  std::string from = dir_.File("from"), to = dir_.File("to");
  ASSERT_TRUE(fs::AtomicWriteFile(from, std::string(20 << 20, 'z')));
  UniqueFd in(::open(from.c_str(), O_RDONLY));
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
  FileCopyState state{.try_reflink = false};
  auto copied = CopyFileData(
      in.get(), out.get(), 20 << 20, state, [](int64_t) { return false; }, from);
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().code, ErrorCode::kCancelled);
}

}  // namespace
}  // namespace yard::volumes
