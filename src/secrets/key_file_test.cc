#include "secrets/key_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::secrets {
namespace {

TEST(KeyFileTest, CreatedOnceWithMode0600) {
  testing::TempDir dir;
  std::string path = dir.File("secrets.key");
  Result<KeyFile> first = LoadOrCreateKey(path);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(first->created);
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600);
  EXPECT_EQ(st.st_size, 32);

  std::string sealed = first->box.Seal("kept").value();
  Result<KeyFile> second = LoadOrCreateKey(path);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->box.Open(sealed).value(), "kept");
}

TEST(KeyFileTest, RefusesAKeyOthersMayRead) {
  testing::TempDir dir;
  std::string path = dir.File("secrets.key");
  ASSERT_TRUE(LoadOrCreateKey(path).has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  Result<KeyFile> loaded = LoadOrCreateKey(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(loaded.error().message.find("chmod 600"), std::string::npos)
      << loaded.error().message;
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_FALSE(LoadOrCreateKey(path).has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(LoadOrCreateKey(path).has_value());
}

TEST(KeyFileTest, RefusesAKeyOfTheWrongSize) {
  testing::TempDir dir;
  std::string path = dir.File("secrets.key");
  ASSERT_TRUE(fs::AtomicWriteFile(path, std::string(31, 'k'), 0600).has_value());
  Result<KeyFile> loaded = LoadOrCreateKey(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("damaged"), std::string::npos) << loaded.error().message;
  // Not replaced: the key might still be recovered from a backup.
  EXPECT_EQ(fs::ReadFile(path).value(), std::string(31, 'k'));
}

TEST(KeyFileTest, RefusesADirectory) {
  testing::TempDir dir;
  std::string path = dir.File("secrets.key");
  ASSERT_TRUE(fs::CreateDirectories(path, 0700).has_value());
  EXPECT_FALSE(LoadOrCreateKey(path).has_value());
}

}  // namespace
}  // namespace yard::secrets
