// Golden tests: testdata/valid/NAME.yaml must validate and resolve to NAME.json;
// testdata/invalid/NAME.yaml must produce exactly the diagnostics in NAME.errors. Regenerate
// the expected files with YARD_UPDATE_GOLDEN=1 (then review the diff).
//
// The repository is a fake: testdata/repository.txt lists its files, or NAME.repo for a test
// that needs another one.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "manifest/manifest.h"
#include "manifest/resolved_json.h"

namespace yard::manifest {
namespace {

namespace stdfs = std::filesystem;

std::string Read(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void Write(const stdfs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool Updating() {
  const char* value = std::getenv("YARD_UPDATE_GOLDEN");
  return value != nullptr && std::string(value) == "1";
}

std::set<std::string> RepositoryFor(const stdfs::path& manifest) {
  stdfs::path repo = manifest;
  repo.replace_extension(".repo");
  if (!stdfs::exists(repo)) repo = manifest.parent_path().parent_path() / "repository.txt";
  std::set<std::string> files;
  std::istringstream lines(Read(repo));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') files.insert(line);
  }
  return files;
}

std::vector<stdfs::path> Manifests(const std::string& folder) {
  std::vector<stdfs::path> out;
  for (const auto& entry :
       stdfs::directory_iterator(stdfs::path(YARD_MANIFEST_TESTDATA) / folder)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ParseResult Load(const stdfs::path& manifest) {
  InMemoryRepositoryView repository(RepositoryFor(manifest));
  return LoadManifest(Read(manifest), "stackyard.yaml", &repository);
}

std::string Format(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& diagnostic : diagnostics) out += FormatDiagnostic(diagnostic) + "\n";
  return out;
}

TEST(GoldenTest, ValidManifestsResolve) {
  std::vector<stdfs::path> manifests = Manifests("valid");
  ASSERT_GE(manifests.size(), 8u);
  for (const stdfs::path& manifest : manifests) {
    SCOPED_TRACE(manifest.filename().string());
    ParseResult result = Load(manifest);
    EXPECT_TRUE(result.ok()) << Format(result.diagnostics);
    std::string actual = ResolvedJson(result.stack);
    stdfs::path expected_path = manifest;
    expected_path.replace_extension(".json");
    if (Updating()) Write(expected_path, actual);
    EXPECT_EQ(Read(expected_path), actual);
  }
}

TEST(GoldenTest, InvalidManifestsReportExactly) {
  std::vector<stdfs::path> manifests = Manifests("invalid");
  ASSERT_GE(manifests.size(), 15u);
  for (const stdfs::path& manifest : manifests) {
    SCOPED_TRACE(manifest.filename().string());
    ParseResult result = Load(manifest);
    EXPECT_FALSE(result.ok());
    std::string actual = Format(result.diagnostics);
    stdfs::path expected_path = manifest;
    expected_path.replace_extension(".errors");
    if (Updating()) Write(expected_path, actual);
    EXPECT_EQ(Read(expected_path), actual);
  }
}

}  // namespace
}  // namespace yard::manifest
