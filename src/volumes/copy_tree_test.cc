#include "volumes/copy_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "testing/temp_dir.h"

namespace yard::volumes {
namespace {

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

void Write(const std::string& path, const std::string& text, mode_t mode = 0644) {
  ASSERT_TRUE(fs::AtomicWriteFile(path, text, mode));
}

void SetMtime(const std::string& path, time_t seconds) {
  const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// Whether `dir`'s filesystem makes reflinks (XFS with reflink=1, btrfs).
bool ReflinksIn(const std::string& dir) {
  std::string a = dir + "/.probe-a", b = dir + "/.probe-b";
  Write(a, "probe");
  UniqueFd in(::open(a.c_str(), O_RDONLY));
  UniqueFd out(::open(b.c_str(), O_WRONLY | O_CREAT, 0600));
  bool ok = in && out && ::ioctl(out.get(), FICLONE, in.get()) == 0;
  ::unlink(a.c_str());
  ::unlink(b.c_str());
  return ok;
}

class CopyTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::CreateDirectories(from_ + "/sub/deeper"));
    Write(from_ + "/a.txt", "alpha\n", 0640);
    Write(from_ + "/sub/b.bin", std::string(3 << 20, 'b'), 0600);
    Write(from_ + "/sub/deeper/empty", "", 0444);
    Write(from_ + "/script", "#!/bin/sh\n", 0755);
    ASSERT_EQ(::symlink("a.txt", (from_ + "/link").c_str()), 0);
    ASSERT_EQ(::symlink("/nowhere/at/all", (from_ + "/sub/dangling").c_str()), 0);
    ASSERT_EQ(::link((from_ + "/a.txt").c_str(), (from_ + "/sub/hard").c_str()), 0);
    ASSERT_EQ(::mkfifo((from_ + "/fifo").c_str(), 0620), 0);
    ASSERT_EQ(::chmod((from_ + "/sub/deeper").c_str(), 0500), 0);  // read-only directory
    SetMtime(from_ + "/a.txt", 1'600'000'000);
    SetMtime(from_ + "/link", 1'600'000'100);
    SetMtime(from_ + "/sub/deeper", 1'600'000'200);
  }
  void TearDown() override {
    // Read-only directories would keep TempDir from removing their entries.
    ::chmod((from_ + "/sub/deeper").c_str(), 0700);
    ::chmod((to_ + "/sub/deeper").c_str(), 0700);
  }

  testing::TempDir dir_;
  std::string from_ = dir_.path() + "/from";
  std::string to_ = dir_.path() + "/to";
};

TEST_F(CopyTreeTest, MeasuresFilesOnceAndEveryEntry) {
  TreeSize size = MUST(MeasureTree(from_));
  EXPECT_EQ(size.bytes, 6 + (3 << 20) + 0 + 10);  // the hard link counts once
  EXPECT_EQ(size.entries, 11);
  EXPECT_EQ(MeasureTree(dir_.path() + "/missing").error().code, ErrorCode::kNotFound);
}

TEST_F(CopyTreeTest, KeepsTypesModesTimesLinksAndContents) {
  CopyResult result = MUST(CopyTree(from_, to_));
  EXPECT_EQ(result.bytes, 6 + (3 << 20) + 10);
  EXPECT_EQ(result.files, 3);  // the empty file has no data
  EXPECT_EQ(result.entries, 11);

  EXPECT_EQ(MUST(fs::ReadFile(to_ + "/a.txt")), "alpha\n");
  EXPECT_EQ(MUST(fs::ReadFile(to_ + "/sub/b.bin")), std::string(3 << 20, 'b'));
  EXPECT_EQ(Lstat(to_ + "/a.txt").st_mode & 07777, 0640u);
  EXPECT_EQ(Lstat(to_ + "/script").st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(to_ + "/sub/deeper/empty").st_mode & 07777, 0444u);
  EXPECT_EQ(Lstat(to_ + "/sub/deeper").st_mode & 07777, 0500u);
  EXPECT_TRUE(S_ISFIFO(Lstat(to_ + "/fifo").st_mode));
  EXPECT_EQ(Lstat(to_ + "/fifo").st_mode, Lstat(from_ + "/fifo").st_mode);
  EXPECT_EQ(Lstat(to_ + "/a.txt").st_mtim.tv_sec, 1'600'000'000);
  EXPECT_EQ(Lstat(to_ + "/link").st_mtim.tv_sec, 1'600'000'100);
  EXPECT_EQ(Lstat(to_ + "/sub/deeper").st_mtim.tv_sec, 1'600'000'200);
  EXPECT_EQ(Lstat(to_ + "/a.txt").st_uid, Lstat(from_ + "/a.txt").st_uid);

  // Symlinks stay links, dangling ones too.
  ASSERT_TRUE(S_ISLNK(Lstat(to_ + "/link").st_mode));
  char target[64] = {};
  ASSERT_GT(::readlink((to_ + "/sub/dangling").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "/nowhere/at/all");
  // Hard links stay one file within the copy, and apart from the source.
  EXPECT_EQ(Lstat(to_ + "/a.txt").st_ino, Lstat(to_ + "/sub/hard").st_ino);
  EXPECT_NE(Lstat(to_ + "/a.txt").st_ino, Lstat(from_ + "/a.txt").st_ino);
}

TEST_F(CopyTreeTest, CopiesAreIndependent) {
  MUST(CopyTree(from_, to_));
  Write(to_ + "/a.txt", "changed in the copy\n");
  Write(from_ + "/sub/b.bin", "changed in the source\n");
  EXPECT_EQ(MUST(fs::ReadFile(from_ + "/a.txt")), "alpha\n");
  EXPECT_EQ(MUST(fs::ReadFile(to_ + "/sub/b.bin")), std::string(3 << 20, 'b'));
}

TEST_F(CopyTreeTest, KeepsHolesOfSparseFiles) {
  std::string sparse = from_ + "/sparse";
  {
    UniqueFd fd(::open(sparse.c_str(), O_WRONLY | O_CREAT, 0644));
    ASSERT_TRUE(fd);
    ASSERT_EQ(::pwrite(fd.get(), "head", 4, 0), 4);
    ASSERT_EQ(::pwrite(fd.get(), "middle", 6, 512 << 20), 6);
    ASSERT_EQ(::ftruncate(fd.get(), 1LL << 30), 0);  // a trailing hole
  }
  MUST(CopyTree(from_, to_, {.reflink = Reflink::kNever}));
  struct stat st = Lstat(to_ + "/sparse");
  EXPECT_EQ(st.st_size, 1LL << 30);
  EXPECT_LT(st.st_blocks * 512, 16LL << 20) << "the holes were written out";
  UniqueFd fd(::open((to_ + "/sparse").c_str(), O_RDONLY));
  char buffer[6] = {};
  ASSERT_EQ(::pread(fd.get(), buffer, 6, 512 << 20), 6);
  EXPECT_EQ(std::string(buffer, 6), "middle");
  ASSERT_EQ(::pread(fd.get(), buffer, 4, 0), 4);
  EXPECT_EQ(std::string(buffer, 4), "head");
}

TEST_F(CopyTreeTest, ExtendedAttributesAreKept) {
  if (::lsetxattr((from_ + "/a.txt").c_str(), "user.origin", "tests", 5, 0) != 0) {
    GTEST_SKIP() << "the temp filesystem has no user extended attributes";
  }
  MUST(CopyTree(from_, to_));
  char value[16] = {};
  ASSERT_EQ(::lgetxattr((to_ + "/a.txt").c_str(), "user.origin", value, sizeof value), 5);
  EXPECT_STREQ(value, "tests");
}

TEST_F(CopyTreeTest, ReportsProgressUpToTheTotal) {
  std::vector<CopyProgress> reports;
  MUST(CopyTree(from_, to_, {.progress = [&](const CopyProgress& progress) {
                  reports.push_back(progress);
                  return true;
                }}));
  ASSERT_FALSE(reports.empty());
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i].bytes_done, reports[i - 1].bytes_done);
  }
  EXPECT_EQ(reports.back().bytes_total, 6 + (3 << 20) + 10);
  EXPECT_EQ(reports.back().bytes_done, reports.back().bytes_total);
}

TEST_F(CopyTreeTest, StopsWhenAsked) {
  auto copied =
      CopyTree(from_, to_,
               {.progress = [](const CopyProgress& progress) { return progress.bytes_done == 0; }});
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().code, ErrorCode::kCancelled);
  ASSERT_TRUE(RemoveTree(to_));
  EXPECT_FALSE(fs::Exists(to_));
}

TEST_F(CopyTreeTest, RefusesAnExistingTargetAndAMissingSource) {
  ASSERT_TRUE(fs::CreateDirectories(to_));
  EXPECT_EQ(CopyTree(from_, to_).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(CopyTree(dir_.path() + "/missing", dir_.path() + "/x").error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(RemoveTree(dir_.path() + "/never-made"));
}

TEST_F(CopyTreeTest, NeverMeansNoReflinks) {
  CopyResult result = MUST(CopyTree(from_, to_, {.reflink = Reflink::kNever}));
  EXPECT_EQ(result.reflinked_files, 0);
  EXPECT_FALSE(result.reflinks());
  EXPECT_EQ(MUST(fs::ReadFile(to_ + "/sub/b.bin")), std::string(3 << 20, 'b'));
}

// Runs only where the temp filesystem shares extents (TMPDIR on XFS or btrfs); elsewhere
// bench/ops exercises reflinks on a loop-mounted XFS image.
TEST_F(CopyTreeTest, ReflinksWhereTheFilesystemCan) {
  if (!ReflinksIn(dir_.path())) GTEST_SKIP() << "the temp filesystem makes no reflinks";
  CopyResult result = MUST(CopyTree(from_, to_));
  EXPECT_TRUE(result.reflinks());
  EXPECT_EQ(result.reflinked_files, 3);
  Write(to_ + "/sub/b.bin", "the copy's own\n");
  EXPECT_EQ(MUST(fs::ReadFile(from_ + "/sub/b.bin")), std::string(3 << 20, 'b'));
}

}  // namespace
}  // namespace yard::volumes
