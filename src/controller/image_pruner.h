#pragma once

// Bounding the disk that builds use: images Stackyard built (labelled with this installation
// and the "build" role) that no recent release needs are removed. Catalog images, pulled
// images and anything Stackyard did not create are never touched. An image in use by a
// container stays (the engine refuses), and so does one built in the last hour, whose
// release may not be recorded yet.

#include <string>

#include "base/result.h"
#include "runtime/runtime.h"
#include "store/builds.h"
#include "store/releases.h"

namespace yard::controller {

struct PruneOutcome {
  int removed = 0;
  int kept = 0;
};

/// Keeps the images of each deployment's newest `keep_releases` releases and of what runs.
Result<PruneOutcome> PruneImages(runtime::Runtime& runtime, store::ReleaseStore& releases,
                                 store::BuildStore& builds, int keep_releases, int64_t now_unix);

}  // namespace yard::controller
