#pragma once

// The dashboard's files (web/ in the source tree): compiled into the binary, or read from a
// directory on each request (`yard server --web-dir`, for working on the page without
// rebuilding). Paths are relative to web/: "index.html", "assets/js/app.js".

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::web {

struct Asset {
  std::string bytes;
  std::string content_type;  // from the extension: "text/javascript; charset=utf-8"
  std::string etag;          // quoted, as sent in ETag: "\"3f2a...\""
};

class Assets {
 public:
  virtual ~Assets() = default;
  /// The file at `path`, or nothing when there is none or the path is not a plain relative
  /// path inside the folder (no "..", ".", empty or hidden segments, no backslash).
  virtual std::optional<Asset> Find(std::string_view path) const = 0;
};

/// The files compiled in from web/.
std::unique_ptr<Assets> EmbeddedAssets();

/// The files under `dir`, read on each request, so that an edit shows on the next reload.
/// kInvalidArgument when `dir` is not a directory. Symbolic links that lead outside `dir` are
/// not followed.
Result<std::unique_ptr<Assets>> DirectoryAssets(const std::string& dir);

/// The Content-Type for a file name, by its extension; application/octet-stream when unknown.
std::string_view ContentTypeFor(std::string_view path);

/// True for a path an Assets may look up (see Assets::Find).
bool IsSafeAssetPath(std::string_view path);

}  // namespace yard::web
