#include "ssh/host_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::ssh {
namespace {

TEST(HostKeysTest, MadeOnceThenTheSameEveryStart) {
  testing::TempDir dir;
  std::string keys_dir = dir.File("ssh");
  auto first = MUST(LoadOrCreateHostKeys(keys_dir));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].type, "ssh-ed25519");
  EXPECT_EQ(first[1].type, "ssh-rsa");
  for (const HostKey& key : first) {
    EXPECT_TRUE(key.fingerprint.starts_with("SHA256:")) << key.fingerprint;
    EXPECT_TRUE(key.public_line.starts_with(key.type + " ")) << key.public_line;
    struct stat info;
    ASSERT_EQ(::stat(key.path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << key.path;
  }
  struct stat info;
  ASSERT_EQ(::stat(keys_dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  auto again = MUST(LoadOrCreateHostKeys(keys_dir));
  ASSERT_EQ(again.size(), 2u);
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].fingerprint, first[i].fingerprint);
    EXPECT_EQ(again[i].public_line, first[i].public_line);
  }
}

TEST(HostKeysTest, AnUnreadableKeyIsAnErrorAndIsKept) {
  testing::TempDir dir;
  std::string keys_dir = dir.File("ssh");
  auto keys = MUST(LoadOrCreateHostKeys(keys_dir));
  ASSERT_TRUE(fs::AtomicWriteFile(keys[0].path, "not a key\n", 0600));
  auto loaded = LoadOrCreateHostKeys(keys_dir);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(loaded.error().message.find(keys[0].path), std::string::npos);
  EXPECT_EQ(MUST(fs::ReadFile(keys[0].path)), "not a key\n");
}

TEST(HostKeysTest, AMissingKeyIsMadeWithoutTouchingTheOther) {
  testing::TempDir dir;
  std::string keys_dir = dir.File("ssh");
  auto keys = MUST(LoadOrCreateHostKeys(keys_dir));
  ASSERT_TRUE(fs::RemoveFile(keys[1].path));
  auto again = MUST(LoadOrCreateHostKeys(keys_dir));
  EXPECT_EQ(again[0].fingerprint, keys[0].fingerprint);
  EXPECT_NE(again[1].fingerprint, keys[1].fingerprint);
}

}  // namespace
}  // namespace yard::ssh
