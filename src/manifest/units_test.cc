// Unit tests of the pieces: suggestions, durations, paths, interpolation, repository views,
// and the limits that keep hostile input cheap.

#include <gtest/gtest.h>

#include <fstream>

#include "base/fs.h"
#include "manifest/durations.h"
#include "manifest/interpolation.h"
#include "manifest/manifest.h"
#include "manifest/paths.h"
#include "manifest/suggest.h"
#include "testing/temp_dir.h"

namespace yard::manifest {
namespace {

TEST(SuggestTest, FindsCloseKeysOnly) {
  constexpr std::string_view keys[] = {"id", "port", "ports", "endpoints", "env"};
  EXPECT_EQ(Suggest("endpoint", keys), "endpoints");
  EXPECT_EQ(Suggest("prot", keys), "port");
  EXPECT_EQ(Suggest("ennv", keys), "env");
  EXPECT_EQ(Suggest("image", keys), "");
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(DurationTest, ParsesAndFormats) {
  EXPECT_EQ(ParseDuration("30s"), 30);
  EXPECT_EQ(ParseDuration("1h30m"), 5400);
  EXPECT_EQ(ParseDuration("7d"), 7 * 86400);
  EXPECT_EQ(ParseDuration("30"), std::nullopt);
  EXPECT_EQ(ParseDuration("5x"), std::nullopt);
  EXPECT_EQ(ParseDuration(""), std::nullopt);
  EXPECT_EQ(ParseDuration("366d"), std::nullopt);
  EXPECT_EQ(ParseDuration("99999999999999999999s"), std::nullopt);
  EXPECT_EQ(FormatDuration(5400), "1h30m");
  EXPECT_EQ(FormatDuration(0), "0s");
}

TEST(PathsTest, RepositoryPathsStayInside) {
  EXPECT_EQ(*JoinRepositoryPath("web", "Dockerfile"), "web/Dockerfile");
  EXPECT_EQ(*JoinRepositoryPath("web", ".."), ".");
  EXPECT_EQ(*JoinRepositoryPath(".", "./a//b/"), "a/b");
  EXPECT_FALSE(JoinRepositoryPath("web", "../..").has_value());
  EXPECT_FALSE(JoinRepositoryPath(".", "/etc").has_value());
  EXPECT_FALSE(JoinRepositoryPath(".", "").has_value());
}

TEST(PathsTest, ContainerPathsAreAbsoluteAndPlain) {
  EXPECT_EQ(*NormalizeContainerPath("/data/"), "/data");
  EXPECT_FALSE(NormalizeContainerPath("data").has_value());
  EXPECT_FALSE(NormalizeContainerPath("/").has_value());
  EXPECT_FALSE(NormalizeContainerPath("/a/../b").has_value());
  EXPECT_EQ(WhyNotId("web-1"), "");
  EXPECT_NE(WhyNotId("Web"), "");
  EXPECT_NE(WhyNotId("web-"), "");
}

TEST(InterpolationTest, SplitsReferences) {
  auto pieces = ParseTemplate("a$${b}${X}${param:p}${generate:password:16}$HOME");
  ASSERT_TRUE(pieces.has_value()) << pieces.error().message;
  ASSERT_EQ(pieces->size(), 5u);
  EXPECT_EQ((*pieces)[0].text, "a${b}");
  EXPECT_EQ((*pieces)[1].kind, PieceKind::kVariable);
  EXPECT_EQ((*pieces)[1].name, "X");
  EXPECT_EQ((*pieces)[2].kind, PieceKind::kParam);
  EXPECT_EQ((*pieces)[3].length, 16);
  EXPECT_EQ((*pieces)[4].text, "$HOME");
  EXPECT_FALSE(ParseTemplate("${X").has_value());
  EXPECT_FALSE(ParseTemplate("${}").has_value());
  EXPECT_FALSE(ParseTemplate("${generate:password:4}").has_value());
  EXPECT_FALSE(ParseTemplate("${generate:nope}").has_value());
  EXPECT_FALSE(ParseTemplate("${a-b}").has_value());
}

TEST(RepositoryViewTest, FilesystemViewRefusesEscapes) {
  testing::TempDir dir;
  ASSERT_TRUE(fs::CreateDirectories(dir.File("repo/web")).has_value());
  ASSERT_TRUE(fs::AtomicWriteFile(dir.File("repo/web/Dockerfile"), "FROM x\n").has_value());
  ASSERT_TRUE(fs::AtomicWriteFile(dir.File("secret"), "x").has_value());
  ASSERT_EQ(symlink(dir.File("secret").c_str(), dir.File("repo/link").c_str()), 0);
  FilesystemRepositoryView view(dir.File("repo"));
  EXPECT_EQ(*view.Stat("web"), EntryKind::kDirectory);
  EXPECT_EQ(*view.Stat("web/Dockerfile"), EntryKind::kFile);
  EXPECT_EQ(*view.Stat("nope"), EntryKind::kMissing);
  EXPECT_EQ(*view.Stat("."), EntryKind::kDirectory);
  EXPECT_EQ(view.Stat("../secret").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(view.Stat("link").error().code, ErrorCode::kInvalidArgument);
}

TEST(LimitsTest, AliasExpansionIsBounded) {
  // 1000 components share one list of 1000 volumes through an alias: a million nodes when
  // expanded, from a few kilobytes of YAML.
  std::string text;
  text = "version: 1\nanchors:\n  - &s [";
  std::string list;
  for (int i = 0; i < 1000; ++i)
    list += (i ? ", " : "") + std::string("{id: s") + std::to_string(i) + ", path: /d" +
            std::to_string(i) + "}";
  text += list + "]\ncomponents:\n";
  for (int i = 0; i < 1000; ++i) text += "  - {id: c" + std::to_string(i) + ", storage: *s}\n";
  ParseResult result = ParseManifest(text, "stackyard.yaml");
  EXPECT_FALSE(result.ok());
  bool budget = false;
  for (const Diagnostic& d : result.diagnostics) {
    budget = budget || d.message.find("more than 100000 nodes") != std::string::npos;
  }
  EXPECT_TRUE(budget);
}

TEST(LimitsTest, LargeAndDeepInputsAreRefused) {
  ParseResult large = ParseManifest(std::string(kMaxManifestBytes + 1, 'a'), "m.yaml");
  ASSERT_EQ(large.diagnostics.size(), 1u);
  EXPECT_EQ(FormatDiagnostic(large.diagnostics[0]),
            "m.yaml: the manifest is 1048577 bytes; at most 1048576 are allowed");
  ParseResult deep = ParseManifest(std::string(100000, '['), "m.yaml");
  EXPECT_FALSE(deep.ok());
}

TEST(LoadTest, DuplicateKeysAreReported) {
  ParseResult result = LoadManifest("version: 1\naddons:\n  - id: db\n    image: a\n    image: b\n",
                                    "s.yaml", nullptr);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(FormatDiagnostic(result.diagnostics[0]),
            "s.yaml:5:5: add-on \"db\": duplicate key \"image\" (first at line 4)");
}

}  // namespace
}  // namespace yard::manifest
