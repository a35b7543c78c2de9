#include "images/catalog_images.h"

#include <set>

#include "images/embedded_files.h"
#include "images/tar.h"

namespace yard::images {
namespace {

// Versions follow Debian bookworm's packages (postgresql-15, redis-server 7.0). The catalog
// in manifest/catalog.cc names the same tags.
constexpr std::string_view kTags[] = {
    "localhost/stackyard/catalog/postgres:15",
    "localhost/stackyard/catalog/redis:7",
};

// "localhost/stackyard/catalog/postgres:15" -> "postgres".
std::string_view NameOf(std::string_view tag) {
  std::string_view rest = tag.substr(tag.rfind('/') + 1);
  return rest.substr(0, rest.find(':'));
}

}  // namespace

std::span<const std::string_view> BuiltinImageTags() { return kTags; }

std::optional<BuiltinImage> FindBuiltinImage(std::string_view tag) {
  for (std::string_view candidate : kTags) {
    if (candidate != tag) continue;
    for (const internal::EmbeddedImage& image : internal::EmbeddedImages()) {
      if (image.name == NameOf(tag)) {
        return BuiltinImage{std::string(tag), std::string(image.name), std::string(image.digest)};
      }
    }
  }
  return std::nullopt;
}

Result<std::string> BuiltinImageContext(std::string_view tag) {
  std::optional<BuiltinImage> image = FindBuiltinImage(tag);
  if (!image) {
    return Unexpected(ErrorCode::kNotFound,
                      "\"" + std::string(tag) + "\" is not one of Stackyard's built-in images");
  }
  // A fixed time, so that the same context always gives the same archive.
  constexpr int64_t kMtime = 0;
  TarWriter tar;
  std::set<std::string, std::less<>> directories;
  for (const internal::EmbeddedFile& file : internal::EmbeddedFiles()) {
    if (file.image != image->name) continue;
    for (size_t slash = file.path.find('/'); slash != std::string_view::npos;
         slash = file.path.find('/', slash + 1)) {
      std::string directory(file.path.substr(0, slash));
      if (directories.insert(directory).second) TRY(tar.AddDirectory(directory, 0755, kMtime));
    }
    TRY(tar.AddFile(file.path, file.mode, file.data, kMtime));
  }
  return tar.Finish();
}

}  // namespace yard::images
