#include "git/git_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace yard::git {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

const std::string kSha1(40, 'a');
const std::string kSha2(40, 'b');

TEST(ParseBranchesTest, ParsesRecords) {
  std::string output = "feature\0"s + kSha1 + "\0Bob\0<bob@example.com>\0"s + "1700000100\0"s +
                       "Add feature\0\n"s + "main\0"s + kSha2 + "\0Tester\0<tester@x>\0"s +
                       "1700000200\0\0\n"s;
  auto branches = ParseBranches(output);
  ASSERT_TRUE(branches) << branches.error().message;
  ASSERT_EQ(branches->size(), 2u);
  EXPECT_EQ((*branches)[0],
            (Branch{"feature", kSha1, "Add feature", "Bob", "bob@example.com", 1700000100}));
  EXPECT_EQ((*branches)[1], (Branch{"main", kSha2, "", "Tester", "tester@x", 1700000200}));
}

TEST(ParseBranchesTest, EmptyOutputIsNoBranches) {
  auto branches = ParseBranches("");
  ASSERT_TRUE(branches);
  EXPECT_TRUE(branches->empty());
}

TEST(ParseBranchesTest, RejectsMalformed) {
  EXPECT_FALSE(ParseBranches("main\0"s + kSha1 + "\0\n"s));
  EXPECT_FALSE(ParseBranches("main\0"s + kSha1 + "\0a\0b\0notatime\0s\0\n"s));
  EXPECT_FALSE(ParseBranches("main\0zz\0a\0b\0001\0s\0\n"s));
}

TEST(ParseLsTreeTest, ParsesEveryKind) {
  std::string output = "100644 blob "s + kSha1 + "      12\tstackyard.yaml\0"s +  //
                       "100755 blob "s + kSha1 + "       3\trun.sh\0"s +          //
                       "120000 blob "s + kSha1 + "       3\tlink\0"s +            //
                       "040000 tree "s + kSha2 + "       -\tweb\0"s +             //
                       "160000 commit "s + kSha2 + "       -\tvendor/lib\0"s;
  auto entries = ParseLsTree(output);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ((*entries)[0].kind, EntryKind::kFile);
  EXPECT_EQ((*entries)[0].size, 12u);
  EXPECT_EQ((*entries)[0].path, "stackyard.yaml");
  EXPECT_EQ((*entries)[1].mode, "100755");
  EXPECT_EQ((*entries)[2].kind, EntryKind::kSymlink);
  EXPECT_EQ((*entries)[3].kind, EntryKind::kDirectory);
  EXPECT_EQ((*entries)[3].object, kSha2);
  EXPECT_EQ((*entries)[3].size, 0u);
  EXPECT_EQ((*entries)[4].kind, EntryKind::kSubmodule);
  EXPECT_EQ((*entries)[4].path, "vendor/lib");
}

TEST(ParseLsTreeTest, KeepsUnusualNamesIntact) {
  auto entries = ParseLsTree("100644 blob "s + kSha1 + " 1\tname with\ttab and spaces\0"s);
  ASSERT_TRUE(entries);
  EXPECT_EQ((*entries)[0].path, "name with\ttab and spaces");
}

TEST(ParseLsTreeTest, RejectsMalformed) {
  EXPECT_FALSE(ParseLsTree("garbage\0"s));
  EXPECT_FALSE(ParseLsTree("100644 blob "s + kSha1 + " x\tf\0"s));
  EXPECT_FALSE(ParseLsTree("777777 blob "s + kSha1 + " 1\tf\0"s));
}

TEST(ValidateTreePathTest, AcceptsAndNormalises) {
  EXPECT_EQ(*ValidateTreePath("stackyard.yaml", false), "stackyard.yaml");
  EXPECT_EQ(*ValidateTreePath("web/nested/", false), "web/nested");
  EXPECT_EQ(*ValidateTreePath("", true), "");
  EXPECT_EQ(*ValidateTreePath(".github/workflows/x.yml", false), ".github/workflows/x.yml");
  EXPECT_EQ(*ValidateTreePath("a..b/c", false), "a..b/c");  // ".." only as a whole component
}

TEST(ValidateTreePathTest, RejectsEscapesAndJunk) {
  for (std::string path : {"../etc/passwd"s, "/etc/passwd"s, "web/../../x"s, "a/./b"s, "."s, ".."s,
                           "a//b"s, "a\0b"s, "a\nb"s, ""s, std::string(5000, 'a')}) {
    auto result = ValidateTreePath(path, false);
    ASSERT_FALSE(result) << path;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(result.error().message, HasSubstr("invalid path"));
  }
}

TEST(ValidateRefTextTest, AcceptsBranchesAndShas) {
  for (const char* text : {"main", "feature/login", "release-1.2", "v1_x", "refs/heads/main",
                           "0123456789abcdef0123456789abcdef01234567", "abc1234"}) {
    EXPECT_TRUE(ValidateRefText(text)) << text;
  }
}

TEST(ValidateRefTextTest, RejectsOptionsRangesAndRevisionSyntax) {
  for (std::string text : {""s,
                           "-uhelp"s,
                           "--output=/tmp/x"s,
                           "main..feature"s,
                           "main...x"s,
                           "HEAD@{1}"s,
                           "@"s,
                           "main^"s,
                           "main~1"s,
                           ":/fix"s,
                           "main:file"s,
                           "a b"s,
                           "a\nb"s,
                           "a\0b"s,
                           "/main"s,
                           "main/"s,
                           "a//b"s,
                           ".hidden"s,
                           "a/.b"s,
                           "main.lock"s,
                           "ma*n"s,
                           "ma?n"s,
                           "ma[n"s,
                           "a\\b"s,
                           std::string(300, 'a')}) {
    Status status = ValidateRefText(text);
    ASSERT_FALSE(status) << text;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument) << text;
  }
}

TEST(LooksLikeObjectIdTest, Lengths) {
  EXPECT_TRUE(LooksLikeObjectId("abcd"));
  EXPECT_TRUE(LooksLikeObjectId(kSha1));
  EXPECT_TRUE(LooksLikeObjectId(std::string(64, 'f')));
  EXPECT_FALSE(LooksLikeObjectId("abc"));
  EXPECT_FALSE(LooksLikeObjectId(std::string(65, 'f')));
  EXPECT_FALSE(LooksLikeObjectId("main"));
}

TEST(EntryKindNameTest, Names) {
  EXPECT_EQ(EntryKindName(EntryKind::kFile), "file");
  EXPECT_EQ(EntryKindName(EntryKind::kDirectory), "directory");
  EXPECT_EQ(EntryKindName(EntryKind::kSymlink), "symlink");
  EXPECT_EQ(EntryKindName(EntryKind::kSubmodule), "submodule");
  EXPECT_EQ(EntryKindName(EntryKind::kMissing), "missing");
}

}  // namespace
}  // namespace yard::git
