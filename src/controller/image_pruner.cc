#include "controller/image_pruner.h"

#include "base/log.h"

namespace yard::controller {

Result<PruneOutcome> PruneImages(runtime::Runtime& runtime, store::ReleaseStore& releases,
                                 store::BuildStore& builds, int keep_releases, int64_t now_unix) {
  std::set<std::string> keep = TRY(releases.ImagesToKeep(keep_releases));
  for (const std::string& image : TRY(builds.ImagesBuiltSince(now_unix - 3600))) {
    keep.insert(image);
  }
  PruneOutcome outcome;
  runtime::Labels ours{{std::string(runtime::kLabelRole), "build"}};
  for (const runtime::ImageInfo& image : TRY(runtime.ListImages(ours))) {
    if (image.created_unix > now_unix - 3600) {
      ++outcome.kept;
      continue;
    }
    for (const std::string& tag : image.tags) {
      if (keep.contains(tag)) {
        ++outcome.kept;
        continue;
      }
      // By tag: an image with a kept tag loses only its other tags.
      Status removed = runtime.RemoveImage(tag);
      if (removed) {
        ++outcome.removed;
        log::Info("pruned image {}: no recent release uses it", tag);
      } else if (removed.error().code != ErrorCode::kNotFound &&
                 removed.error().code != ErrorCode::kFailedPrecondition) {
        return Unexpected(removed.error());
      }
    }
  }
  return outcome;
}

}  // namespace yard::controller
