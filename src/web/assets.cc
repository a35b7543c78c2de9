#include "web/assets.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>

#include <fmt/core.h>

#include "base/fs.h"
#include "web/embedded_assets.h"

namespace yard::web {
namespace {

// Text types carry their charset: the files are UTF-8, and a browser guessing otherwise would
// garble names and symbols.
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kContentTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
}};

class EmbeddedTable final : public Assets {
 public:
  std::optional<Asset> Find(std::string_view path) const override {
    if (!IsSafeAssetPath(path)) return std::nullopt;
    auto table = internal::EmbeddedAssetTable();
    auto found = std::lower_bound(
        table.begin(), table.end(), path,
        [](const internal::EmbeddedAsset& asset, std::string_view key) { return asset.path < key; });
    if (found == table.end() || found->path != path) return std::nullopt;
    return Asset{std::string(found->data), std::string(ContentTypeFor(path)),
                 std::string(found->etag)};
  }
};

class Directory final : public Assets {
 public:
  explicit Directory(std::filesystem::path root) : root_(std::move(root)) {}

  std::optional<Asset> Find(std::string_view path) const override {
    if (!IsSafeAssetPath(path)) return std::nullopt;
    // The path itself has no "..", but a symbolic link inside the folder could still lead out.
    std::error_code error;
    std::filesystem::path file = std::filesystem::canonical(root_ / path, error);
    if (error) return std::nullopt;
    auto [root_end, file_it] = std::mismatch(root_.begin(), root_.end(), file.begin(), file.end());
    if (root_end != root_.end() || !std::filesystem::is_regular_file(file, error)) {
      return std::nullopt;
    }
    auto bytes = fs::ReadFile(file.string());
    if (!bytes) return std::nullopt;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size(), digest);
    std::string etag = "\"";
    for (int i = 0; i < 10; ++i) etag += fmt::format("{:02x}", digest[i]);
    etag += '"';
    return Asset{std::move(*bytes), std::string(ContentTypeFor(path)), std::move(etag)};
  }

 private:
  std::filesystem::path root_;  // canonical
};

}  // namespace

std::unique_ptr<Assets> EmbeddedAssets() { return std::make_unique<EmbeddedTable>(); }

Result<std::unique_ptr<Assets>> DirectoryAssets(const std::string& dir) {
  std::error_code error;
  std::filesystem::path root = std::filesystem::canonical(dir, error);
  if (error || !std::filesystem::is_directory(root, error)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{} is not a directory (expected the dashboard's web/ folder, "
                                  "holding index.html)",
                                  dir));
  }
  return std::unique_ptr<Assets>(std::make_unique<Directory>(std::move(root)));
}

std::string_view ContentTypeFor(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string extension(name.substr(dot));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [known, type] : kContentTypes) {
    if (extension == known) return type;
  }
  return "application/octet-stream";
}

bool IsSafeAssetPath(std::string_view path) {
  if (path.empty() || path.find('\\') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos) {
    return false;
  }
  while (true) {
    size_t slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    // Empty (a leading or doubled '/'), ".", ".." and hidden names all start with '.' or are
    // empty.
    if (segment.empty() || segment.front() == '.') return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace yard::web
