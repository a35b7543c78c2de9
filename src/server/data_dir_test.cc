#include "server/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing/temp_dir.h"

namespace yard::server {
namespace {

TEST(DataDirTest, CreatesAPrivateDirectoryAndLocksIt) {
  testing::TempDir parent;
  std::string root = parent.File("data/nested");
  {
    DataDir data_dir = MUST(DataDir::Open(root));
    EXPECT_EQ(data_dir.root(), root);
    EXPECT_EQ(data_dir.DatabasePath(), root + "/stackyard.db");
    EXPECT_EQ(data_dir.ServerInfoPath(), root + "/server.json");
    struct stat info {};
    ASSERT_EQ(::stat(root.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);

    pid_t child = ::fork();
    if (child == 0) {
      auto second = DataDir::Open(root);
      bool refused = !second && second.error().code == ErrorCode::kFailedPrecondition &&
                     second.error().message.find("another yard server") != std::string::npos;
      ::_exit(refused ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(DataDir::Open(root));
}

TEST(DataDirTest, RelativePathsBecomeAbsolute) {
  testing::TempDir parent;
  char* old_cwd = ::getcwd(nullptr, 0);
  ASSERT_EQ(::chdir(parent.path().c_str()), 0);
  auto data_dir = DataDir::Open("relative");
  ASSERT_EQ(::chdir(old_cwd), 0);
  std::free(old_cwd);
  ASSERT_TRUE(data_dir);
  EXPECT_EQ(data_dir->root(), parent.File("relative"));
}

TEST(DataDirTest, AFileInTheWayIsAnError) {
  testing::TempDir parent;
  ASSERT_TRUE(fs::AtomicWriteFile(parent.File("file"), "x"));
  EXPECT_FALSE(DataDir::Open(parent.File("file")));
}

}  // namespace
}  // namespace yard::server
