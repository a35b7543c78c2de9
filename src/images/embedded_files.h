#pragma once

// The files under images/catalog/, compiled in by embed_files.cmake. Internal to this module:
// use catalog_images.h.

#include <sys/types.h>

#include <span>
#include <string_view>

namespace yard::images::internal {

struct EmbeddedFile {
  std::string_view image;  // the folder under images/catalog/: "postgres"
  std::string_view path;   // relative to the image's folder, with `/`: "entrypoint.sh"
  mode_t mode;             // 0755 or 0644
  std::string_view data;
};

struct EmbeddedImage {
  std::string_view name;    // "postgres"
  std::string_view digest;  // SHA-256 over the image's paths, modes and contents (hex)
};

/// Sorted by image, then path. The data lives as long as the program.
std::span<const EmbeddedFile> EmbeddedFiles();
/// Sorted by name.
std::span<const EmbeddedImage> EmbeddedImages();

}  // namespace yard::images::internal
