#include "images/catalog_images.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <map>

#include "manifest/catalog.h"

namespace yard::images {
namespace {

struct File {
  mode_t perm = 0;
  std::string data;
};

std::map<std::string, File> Files(const std::string& tar) {
  std::map<std::string, File> files;
  archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  EXPECT_EQ(archive_read_open_memory(reader, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* header = nullptr;
  while (archive_read_next_header(reader, &header) == ARCHIVE_OK) {
    File& file = files[archive_entry_pathname(header)];
    file.perm = archive_entry_perm(header);
    char buffer[8192];
    la_ssize_t got;
    while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
      file.data.append(buffer, static_cast<size_t>(got));
    }
  }
  archive_read_free(reader);
  return files;
}

TEST(CatalogImagesTest, FindsTheBuiltInTags) {
  auto postgres = FindBuiltinImage("localhost/stackyard/catalog/postgres:15");
  ASSERT_TRUE(postgres);
  EXPECT_EQ(postgres->name, "postgres");
  EXPECT_EQ(postgres->tag, "localhost/stackyard/catalog/postgres:15");
  EXPECT_EQ(postgres->digest.size(), 64u);
  auto redis = FindBuiltinImage("localhost/stackyard/catalog/redis:7");
  ASSERT_TRUE(redis);
  EXPECT_EQ(redis->name, "redis");
  EXPECT_NE(redis->digest, postgres->digest);

  EXPECT_FALSE(FindBuiltinImage("docker.io/library/postgres:16"));
  EXPECT_FALSE(FindBuiltinImage("localhost/stackyard/catalog/postgres:16"));
  EXPECT_FALSE(FindBuiltinImage(""));
  EXPECT_EQ(BuiltinImageTags().size(), 2u);
}

TEST(CatalogImagesTest, ContextsHoldADockerfileAndAnExecutableEntrypoint) {
  for (std::string_view tag : BuiltinImageTags()) {
    auto tar = BuiltinImageContext(tag);
    ASSERT_TRUE(tar) << tag << ": " << tar.error().message;
    std::map<std::string, File> files = Files(*tar);
    ASSERT_TRUE(files.count("Dockerfile")) << tag;
    ASSERT_TRUE(files.count("entrypoint.sh")) << tag;
    EXPECT_EQ(files["Dockerfile"].perm, 0644u) << tag;
    EXPECT_EQ(files["entrypoint.sh"].perm, 0755u) << tag;
    EXPECT_EQ(files["Dockerfile"].data.find("FROM docker.io/library/debian:bookworm-slim"),
              files["Dockerfile"].data.find("FROM "))
        << tag;
    EXPECT_NE(files["Dockerfile"].data.find("COPY entrypoint.sh "), std::string::npos) << tag;
    EXPECT_EQ(files["entrypoint.sh"].data.rfind("#!/bin/sh\n", 0), 0u) << tag;
    // The same bytes every time, so that the engine's build cache applies.
    EXPECT_EQ(*BuiltinImageContext(tag), *tar);
  }
  auto unknown = BuiltinImageContext("docker.io/library/redis:7");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST(CatalogImagesTest, EveryCatalogEntryRunsABuiltInImage) {
  for (std::string_view name : manifest::CatalogNames()) {
    manifest::Service addon;
    addon.id = "svc";
    manifest::ApplyCatalogDefaults(name, {}, addon);
    auto image = FindBuiltinImage(addon.image);
    ASSERT_TRUE(image) << name << " runs " << addon.image;
    EXPECT_EQ(image->name, name);
  }
}

}  // namespace
}  // namespace yard::images
