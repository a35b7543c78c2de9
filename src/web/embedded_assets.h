#pragma once

// The files under web/, compiled in by embed_assets.cmake. Internal to this module: use
// EmbeddedAssets() from assets.h.

#include <span>
#include <string_view>

namespace yard::web::internal {

struct EmbeddedAsset {
  std::string_view path;  // relative to web/, with '/': "assets/js/app.js"
  std::string_view data;
  std::string_view etag;  // quoted, as sent: "\"3f2a...\""
};

/// Sorted by path. The data lives as long as the program.
std::span<const EmbeddedAsset> EmbeddedAssetTable();

}  // namespace yard::web::internal
