#include "cli/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::cli {
namespace {

// Points the config at a temporary directory and clears the environment variables.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("XDG_CONFIG_HOME", dir_.path().c_str(), 1);
    ::unsetenv("YARD_SERVER");
    ::unsetenv("YARD_TOKEN");
  }
  void TearDown() override {
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("YARD_SERVER");
    ::unsetenv("YARD_TOKEN");
  }
  testing::TempDir dir_;
};

TEST_F(ConfigTest, NothingConfiguredGivesAdvice) {
  auto connection = ResolveConnection("", "");
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(connection.error().message.find("yard login"), std::string::npos);
}

TEST_F(ConfigTest, StoredLoginIsPrivate) {
  ASSERT_TRUE(SaveLogin({"http://127.0.0.1:1", "yard_stored"}));
  EXPECT_EQ(ConfigPath(), dir_.File("stackyard/config.json"));
  struct stat info {};
  ASSERT_EQ(::stat(ConfigPath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.File("stackyard").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  auto loaded = MUST(LoadLogin());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->token, "yard_stored");
  ASSERT_TRUE(ForgetLogin());
  EXPECT_FALSE(MUST(LoadLogin()));
  EXPECT_TRUE(ForgetLogin());
}

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatsStoredLogin) {
  ASSERT_TRUE(SaveLogin({"http://stored:1", "yard_stored"}));
  Connection stored = MUST(ResolveConnection("", ""));
  EXPECT_EQ(stored.server, "http://stored:1");
  EXPECT_EQ(stored.token, "yard_stored");

  ::setenv("YARD_TOKEN", "yard_env", 1);
  Connection env = MUST(ResolveConnection("", ""));
  EXPECT_EQ(env.server, "http://stored:1");
  EXPECT_EQ(env.token, "yard_env");

  ::setenv("YARD_SERVER", "http://env:2", 1);
  Connection flags = MUST(ResolveConnection("http://flag:3", ""));
  EXPECT_EQ(flags.server, "http://flag:3");
  EXPECT_EQ(flags.token, "yard_env");
  EXPECT_EQ(MUST(ResolveConnection("", "yard_flag")).token, "yard_flag");
}

TEST_F(ConfigTest, CorruptConfigIsReported) {
  ASSERT_TRUE(fs::CreateDirectories(dir_.File("stackyard")));
  ASSERT_TRUE(fs::AtomicWriteFile(ConfigPath(), "{not json"));
  auto loaded = LoadLogin();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("yard login"), std::string::npos);
  ASSERT_TRUE(fs::AtomicWriteFile(ConfigPath(), R"({"server": 1, "token": "x"})"));
  EXPECT_FALSE(LoadLogin());
}

}  // namespace
}  // namespace yard::cli
