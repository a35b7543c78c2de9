#include "web/assets.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::web {
namespace {

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("assets/js/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("assets/app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("assets/favicon.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("assets/logo.PNG"), "image/png");
  EXPECT_EQ(ContentTypeFor("assets/data.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("assets/font.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("assets/README"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("assets.d/file.bin"), "application/octet-stream");
}

TEST(SafePathTest, RefusesEscapesAndHiddenNames) {
  EXPECT_TRUE(IsSafeAssetPath("index.html"));
  EXPECT_TRUE(IsSafeAssetPath("assets/js/pages/projects.js"));
  for (const char* path : {"", "/etc/passwd", "../secret", "assets/../../etc/passwd",
                           "assets/./app.css", "assets//app.css", "assets/", "assets/.git/config",
                           "assets\\..\\x", ".env"}) {
    EXPECT_FALSE(IsSafeAssetPath(path)) << path;
  }
  EXPECT_FALSE(IsSafeAssetPath(std::string_view("a\0b", 3)));
}

TEST(EmbeddedAssetsTest, HoldsThePage) {
  auto assets = EmbeddedAssets();
  auto page = assets->Find("index.html");
  ASSERT_TRUE(page);
  EXPECT_NE(page->bytes.find("<html"), std::string::npos);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  ASSERT_GT(page->etag.size(), 2u);
  EXPECT_EQ(page->etag.front(), '"');
  EXPECT_EQ(page->etag.back(), '"');
  EXPECT_FALSE(assets->Find("missing.html"));
  EXPECT_FALSE(assets->Find("../web/index.html"));
  EXPECT_FALSE(assets->Find("/index.html"));
}

class DirectoryAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::Join(temp_.path(), "web");
    ASSERT_TRUE(fs::CreateDirectories(fs::Join(root_, "assets/js")));
    ASSERT_TRUE(fs::AtomicWriteFile(fs::Join(root_, "index.html"), "<html>one</html>"));
    ASSERT_TRUE(fs::AtomicWriteFile(fs::Join(root_, "assets/js/app.js"), "export {};"));
    ASSERT_TRUE(fs::AtomicWriteFile(fs::Join(temp_.path(), "secret.txt"), "secret"));
  }

  testing::TempDir temp_;
  std::string root_;
};

TEST_F(DirectoryAssetsTest, ReadsOnEachRequest) {
  auto assets = DirectoryAssets(root_);
  ASSERT_TRUE(assets) << assets.error().message;
  auto first = (*assets)->Find("index.html");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->bytes, "<html>one</html>");
  ASSERT_TRUE(fs::AtomicWriteFile(fs::Join(root_, "index.html"), "<html>two</html>"));
  auto second = (*assets)->Find("index.html");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->bytes, "<html>two</html>");
  EXPECT_NE(first->etag, second->etag);

  auto script = (*assets)->Find("assets/js/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_FALSE((*assets)->Find("assets/js"));  // a directory is not a file
  EXPECT_FALSE((*assets)->Find("assets/js/missing.js"));
}

TEST_F(DirectoryAssetsTest, RefusesTraversal) {
  auto assets = DirectoryAssets(root_);
  ASSERT_TRUE(assets);
  EXPECT_FALSE((*assets)->Find("../secret.txt"));
  EXPECT_FALSE((*assets)->Find("assets/../../secret.txt"));
  EXPECT_FALSE((*assets)->Find(fs::Join(temp_.path(), "secret.txt")));
  // A symbolic link inside the folder that leads out of it is not followed.
  ASSERT_EQ(::symlink(fs::Join(temp_.path(), "secret.txt").c_str(),
                      fs::Join(root_, "assets/leak.txt").c_str()),
            0);
  EXPECT_FALSE((*assets)->Find("assets/leak.txt"));
  // One that stays inside is.
  ASSERT_EQ(::symlink("app.js", fs::Join(root_, "assets/js/alias.js").c_str()), 0);
  EXPECT_TRUE((*assets)->Find("assets/js/alias.js"));
}

TEST_F(DirectoryAssetsTest, RefusesAMissingDirectory) {
  auto assets = DirectoryAssets(fs::Join(temp_.path(), "nope"));
  ASSERT_FALSE(assets);
  EXPECT_EQ(assets.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(DirectoryAssets(fs::Join(root_, "index.html")));
}

}  // namespace
}  // namespace yard::web
