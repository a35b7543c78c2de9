#pragma once

// The images of the add-on catalog, which Stackyard builds itself from Debian packages rather
// than pulling them: their build contexts (images/catalog/NAME/) are compiled into the binary,
// so that an installation without access to a registry can still run postgres and redis.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::images {

struct BuiltinImage {
  std::string tag;   // "localhost/stackyard/catalog/postgres:15"
  std::string name;  // "postgres": its folder under images/catalog/
  /// SHA-256 (hex) of the build context's paths, modes and contents. It changes whenever the
  /// context does, so an image built by another version of Stackyard can be told apart (for
  /// example by keeping it in a label) and rebuilt.
  std::string digest;
};

/// Every built-in image, ordered by name.
std::span<const std::string_view> BuiltinImageTags();

/// The built-in image with this tag, or nullopt.
std::optional<BuiltinImage> FindBuiltinImage(std::string_view tag);

/// The build context of a built-in image as an uncompressed tar (Dockerfile at the root), with
/// the files' modes (the entrypoint is executable). kNotFound for a tag that is not built in.
Result<std::string> BuiltinImageContext(std::string_view tag);

}  // namespace yard::images
