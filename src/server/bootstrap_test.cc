#include "server/bootstrap.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "auth/authenticator.h"
#include "base/fs.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::server {
namespace {

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override { MUST(store::Migrate(*db_, store::SchemaMigrations())); }
  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(dir_.File("db")));
  testing::FakeClock clock_;
  store::UserStore users_{*db_, clock_};
  store::ApiTokenStore tokens_{*db_, clock_};
};

TEST_F(BootstrapTest, CreatesTheAdminOnceWithAPrivateTokenFile) {
  std::string path = dir_.File("admin.token");
  ASSERT_TRUE(BootstrapAdmin(*db_, users_, tokens_, path));
  std::string token = MUST(fs::ReadFile(path));
  ASSERT_EQ(token.back(), '\n');
  token.pop_back();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  auth::Authenticator authenticator(tokens_);
  auth::Principal admin = MUST(authenticator.Authenticate("Bearer " + token));
  EXPECT_EQ(admin.user.name, "admin");
  EXPECT_TRUE(admin.IsAdmin());

  // A second start changes nothing: same users, same token file.
  ASSERT_TRUE(BootstrapAdmin(*db_, users_, tokens_, path));
  EXPECT_EQ(MUST(users_.Count()), 1);
  EXPECT_EQ(MUST(fs::ReadFile(path)), token + "\n");
}

TEST_F(BootstrapTest, AFailedTokenWriteCreatesNoAdmin) {
  Status status = BootstrapAdmin(*db_, users_, tokens_, dir_.File("missing-dir/admin.token"));
  ASSERT_FALSE(status);
  EXPECT_EQ(MUST(users_.Count()), 0);
  // The next start can still bootstrap.
  ASSERT_TRUE(BootstrapAdmin(*db_, users_, tokens_, dir_.File("admin.token")));
  EXPECT_EQ(MUST(users_.Count()), 1);
}

}  // namespace
}  // namespace yard::server
