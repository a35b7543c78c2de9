#include "devgit/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::devgit {
namespace {

store::Deployment Make(int64_t id, int64_t created_at, std::string project) {
  store::Deployment d;
  d.id = id;
  d.name = "dev";
  d.project = std::move(project);
  d.created_at = created_at;
  return d;
}

TEST(CredentialsTest, KeyIsMadeOnceAndKept) {
  yard::testing::TempDir dir;
  std::string path = dir.File("git.key");
  auto first = Credentials::Open(path);
  ASSERT_TRUE(first) << first.error().message;
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = Credentials::Open(path);
  ASSERT_TRUE(again) << again.error().message;
  store::Deployment dev = Make(1, 1000, "shop");
  EXPECT_EQ(first->Token(dev), again->Token(dev));
  EXPECT_EQ(first->Token(dev).size(), 64u);
  EXPECT_EQ(Credentials::UserName(dev), "dev.shop");

  ASSERT_TRUE(fs::AtomicWriteFile(path, "short\n", 0600));
  auto damaged = Credentials::Open(path);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, ErrorCode::kFailedPrecondition);
}

TEST(CredentialsTest, EachDeploymentHasItsOwn) {
  Credentials credentials = Credentials::ForTesting(std::string(64, 'a'));
  store::Deployment dev = Make(1, 1000, "shop");
  std::string token = credentials.Token(dev);
  EXPECT_TRUE(credentials.Verify(dev, token));
  EXPECT_FALSE(credentials.Verify(dev, token.substr(1)));
  EXPECT_FALSE(credentials.Verify(dev, ""));
  // Another deployment, the same id reused later, or another project: another credential.
  EXPECT_FALSE(credentials.Verify(Make(2, 1000, "shop"), token));
  EXPECT_FALSE(credentials.Verify(Make(1, 1001, "shop"), token));
  EXPECT_FALSE(credentials.Verify(Make(1, 1000, "blog"), token));
  // Another key: another credential.
  EXPECT_NE(Credentials::ForTesting(std::string(64, 'b')).Token(dev), token);
}

}  // namespace
}  // namespace yard::devgit
