#pragma once

// Getting every service's image ready for a release: built-in catalog images are built from
// the contexts shipped in the binary, other images are pulled, components (and add-ons with
// `build`) are built — from the commit for built stages, from the code volume's Dockerfile
// for development. An image that already exists under its tag is reused: built images are
// tagged by commit, dev images by the digest of their Dockerfile, so an unchanged service is
// never rebuilt (and a rebuild reuses the engine's layer cache).

#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include "base/result.h"
#include "controller/naming.h"
#include "git/bare_repository.h"
#include "manifest/env_resolver.h"
#include "manifest/model.h"
#include "runtime/runtime.h"

namespace yard::controller {

struct ImageRequest {
  const manifest::Stack* stack = nullptr;
  const manifest::Stage* stage = nullptr;
  const manifest::EnvResolution* env = nullptr;  // for build args
  std::string project;
  std::string commit;    // the release's commit (built stages and add-on builds)
  std::string code_dir;  // development stages: the checkout to build dev images from
  const git::BareRepository* repository = nullptr;
  /// Build even when an image with the tag exists (the layer cache still applies).
  bool force = false;
  double build_cpus = 0;
  int64_t build_memory_bytes = 0;
  std::chrono::seconds build_timeout{1800};
  /// Set by another thread to stop the build (a cancel, or a newer push).
  const std::atomic<bool>* cancel = nullptr;
};

/// The images of a release, or why not. `error` names the first service that failed.
struct ImageSet {
  bool ok = false;
  std::map<std::string, std::string> images;  // service id -> image reference
  std::string error;
};

class ImageBuilder {
 public:
  ImageBuilder(runtime::Runtime& runtime, const Naming& naming)
      : runtime_(runtime), naming_(naming) {}

  /// Makes sure every service has its image; progress and build output go to `log`.
  /// A failing build is ImageSet::ok == false; the Result fails only when the engine or the
  /// repository cannot be used at all, and with kCancelled once `request.cancel` is set (it
  /// is passed to every build, and looked at before each service).
  Result<ImageSet> Prepare(const ImageRequest& request, const runtime::LineSink& log);

 private:
  /// Present already, a built-in image to build, or pulled.
  Status Ensure(const std::string& ref, const std::atomic<bool>* cancel,
                const runtime::LineSink& log);
  Result<runtime::BuildOutcome> Build(const std::string& tag, std::string context_tar,
                                      const std::string& dockerfile,
                                      const std::map<std::string, std::string>& args,
                                      const ImageRequest& request, const runtime::LineSink& log);

  runtime::Runtime& runtime_;
  const Naming& naming_;
};

/// `path` relative to directory `dir` (both repository-relative, normalised; "." is the
/// root), or nullopt when `path` is not inside `dir`.
std::optional<std::string> RelativeTo(const std::string& path, const std::string& dir);

}  // namespace yard::controller
