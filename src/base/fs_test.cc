#include "base/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "testing/temp_dir.h"

namespace yard::fs {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return info.st_mode & 0777;
}

TEST(FsTest, AtomicWriteThenRead) {
  testing::TempDir dir;
  std::string path = dir.File("config.json");
  ASSERT_TRUE(AtomicWriteFile(path, "first"));
  EXPECT_EQ(*ReadFile(path), "first");
  ASSERT_TRUE(AtomicWriteFile(path, "second, longer"));
  EXPECT_EQ(*ReadFile(path), "second, longer");
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(FsTest, AtomicWriteSetsTheModeRegardlessOfUmask) {
  testing::TempDir dir;
  mode_t old_umask = ::umask(0);
  ASSERT_TRUE(AtomicWriteFile(dir.File("secret"), "x", 0600));
  ASSERT_TRUE(AtomicWriteFile(dir.File("public"), "x", 0644));
  ::umask(old_umask);
  EXPECT_EQ(ModeOf(dir.File("secret")), 0600u);
  EXPECT_EQ(ModeOf(dir.File("public")), 0644u);
}

TEST(FsTest, AtomicWriteIntoAMissingDirectoryFails) {
  testing::TempDir dir;
  Status status = AtomicWriteFile(dir.File("missing/file"), "x");
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("missing"), std::string::npos);
}

TEST(FsTest, ReadFileErrors) {
  testing::TempDir dir;
  auto missing = ReadFile(dir.File("absent"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(AtomicWriteFile(dir.File("big"), std::string(100, 'x')));
  auto big = ReadFile(dir.File("big"), 10);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
}

TEST(FsTest, CreateDirectoriesMakesParentsAndIsIdempotent) {
  testing::TempDir dir;
  std::string nested = dir.File("a/b/c");
  ASSERT_TRUE(CreateDirectories(nested, 0700));
  ASSERT_TRUE(CreateDirectories(nested, 0700));
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  ASSERT_TRUE(AtomicWriteFile(dir.File("file"), "x"));
  Status over_file = CreateDirectories(dir.File("file"));
  ASSERT_FALSE(over_file);
  EXPECT_EQ(over_file.error().code, ErrorCode::kFailedPrecondition);
}

TEST(FsTest, RemoveFileIgnoresMissingFiles) {
  testing::TempDir dir;
  EXPECT_TRUE(RemoveFile(dir.File("absent")));
  ASSERT_TRUE(AtomicWriteFile(dir.File("present"), "x"));
  EXPECT_TRUE(RemoveFile(dir.File("present")));
  EXPECT_FALSE(Exists(dir.File("present")));
}

TEST(FsTest, JoinAndAbsolute) {
  EXPECT_EQ(Join("/a", "b"), "/a/b");
  EXPECT_EQ(Join("/a/", "b"), "/a/b");
  EXPECT_EQ(Join("/a/", "/b"), "/a/b");
  EXPECT_EQ(Join("", "b"), "b");
  EXPECT_EQ(Absolute("/a/./b/../c"), "/a/c");
  EXPECT_EQ(Absolute("x").front(), '/');
}

TEST(FsTest, FileLockIsExclusiveAcrossProcesses) {
  testing::TempDir dir;
  std::string path = dir.File("lock");
  {
    auto lock = FileLock::Acquire(path);
    ASSERT_TRUE(lock);
    // flock locks belong to the open file description, so a child process that opens the
    // file anew must be refused while we hold it.
    pid_t child = ::fork();
    if (child == 0) {
      auto second = FileLock::Acquire(path);
      bool refused = !second && second.error().code == ErrorCode::kFailedPrecondition &&
                     second.error().message.find(std::to_string(::getppid())) != std::string::npos;
      ::_exit(refused ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "a second process could take the lock, or the message lacks the holder's pid";
  }
  // Released on destruction.
  EXPECT_TRUE(FileLock::Acquire(path));
}

}  // namespace
}  // namespace yard::fs
