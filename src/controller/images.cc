#include "controller/images.h"

#include <fmt/core.h>
#include <openssl/sha.h>

#include "base/fs.h"
#include "controller/plan.h"
#include "images/catalog_images.h"
#include "images/tar.h"

namespace yard::controller {
namespace {

constexpr size_t kMaxContextBytes = 512 * 1024 * 1024;

std::string Sha256Hex(std::string_view text) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), hash);
  std::string hex;
  for (unsigned char byte : hash) hex += fmt::format("{:02x}", byte);
  return hex;
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::map<std::string, std::string> BuildArgs(const manifest::EnvResolution& env,
                                             const std::string& service) {
  std::map<std::string, std::string> args;
  if (const manifest::ServiceEnv* resolved = env.Find(service)) {
    for (const auto& [key, value] : resolved->build_args) args[key] = value.value;
  }
  return args;
}

}  // namespace

std::optional<std::string> RelativeTo(const std::string& path, const std::string& dir) {
  if (dir.empty() || dir == ".") return path;
  if (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
      path[dir.size()] == '/') {
    return path.substr(dir.size() + 1);
  }
  return std::nullopt;
}

Status ImageBuilder::Ensure(const std::string& ref, const std::atomic<bool>* cancel,
                            const runtime::LineSink& log) {
  std::optional<runtime::ImageInfo> present = TRY(runtime_.InspectImage(ref));
  if (std::optional<images::BuiltinImage> builtin = images::FindBuiltinImage(ref)) {
    // Built by this version of Stackyard? Another version may ship another context.
    auto digest = present ? present->labels.find(std::string(kLabelDigest))
                          : std::map<std::string, std::string>::const_iterator();
    if (present && digest != present->labels.end() && digest->second == builtin->digest) {
      return Ok();
    }
    log(fmt::format("==> building the built-in image {}", ref));
    std::string context = TRY(images::BuiltinImageContext(ref));
    runtime::BuildSpec spec{.tag = ref, .context_tar = std::move(context), .cancel = cancel};
    spec.labels[std::string(runtime::kLabelRole)] = "catalog-image";
    spec.labels[std::string(kLabelDigest)] = builtin->digest;
    runtime::BuildOutcome outcome = TRY(runtime_.BuildImage(spec, log));
    if (!outcome.ok) {
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("building the built-in image {} failed: {}", ref,
                                    outcome.error));
    }
    return Ok();
  }
  if (present) return Ok();
  log(fmt::format("==> pulling {}", ref));
  Status pulled = runtime_.PullImage(ref, log);
  if (!pulled) {
    return Unexpected(pulled.error().code,
                      fmt::format("image {} is not present and cannot be pulled: {}", ref,
                                  pulled.error().message));
  }
  return Ok();
}

Result<runtime::BuildOutcome> ImageBuilder::Build(const std::string& tag, std::string context,
                                                  const std::string& dockerfile,
                                                  const std::map<std::string, std::string>& args,
                                                  const ImageRequest& request,
                                                  const runtime::LineSink& log) {
  runtime::BuildSpec spec{.tag = tag,
                          .context_tar = std::move(context),
                          .dockerfile = dockerfile,
                          .args = args,
                          .cpus = request.build_cpus,
                          .memory_bytes = request.build_memory_bytes,
                          .timeout = request.build_timeout,
                          .cancel = request.cancel};
  spec.labels[std::string(runtime::kLabelProject)] = request.project;
  spec.labels[std::string(runtime::kLabelRole)] = "build";
  return runtime_.BuildImage(spec, log);
}

Result<ImageSet> ImageBuilder::Prepare(const ImageRequest& request, const runtime::LineSink& log) {
  ImageSet set;
  bool dev = request.stage->kind == manifest::StageKind::kDev;
  auto fail = [&](const std::string& service, const std::string& why) {
    set.ok = false;
    set.error = fmt::format("{}: {}", service, why);
    log("==> " + set.error);
    return set;
  };

  std::vector<const manifest::Service*> services;
  for (const manifest::Service& addon : request.stack->addons) services.push_back(&addon);
  for (const manifest::Service& component : request.stack->components) {
    services.push_back(&component);
  }

  for (const manifest::Service* service : services) {
    if (request.cancel != nullptr && request.cancel->load()) {
      log("==> cancelled");
      return Unexpected(ErrorCode::kCancelled,
                        fmt::format("preparing the images was cancelled before {}", service->id));
    }
    bool component = service->kind == manifest::ServiceKind::kComponent;
    // Images that are not built from the project: catalog, `image`, `dev.image`.
    std::string given = component ? (dev ? service->dev.image : "") : service->image;
    if (!given.empty() || (!component && !service->build)) {
      Status ensured = Ensure(given, request.cancel, log);
      if (!ensured && ensured.error().code == ErrorCode::kCancelled) {
        return Unexpected(ensured.error());
      }
      if (!ensured) return fail(service->id, ensured.error().message);
      set.images[service->id] = given;
      continue;
    }

    if (component && dev) {
      // The dev image comes from the Dockerfile in the code volume, so that an edit to it
      // followed by a rebuild takes effect without a commit.
      const std::string& dockerfile = service->dev.dockerfile;
      std::string context_dir = service->build ? service->build->context : Parent(dockerfile);
      std::optional<std::string> inside = RelativeTo(dockerfile, context_dir);
      if (!inside) {
        context_dir = Parent(dockerfile);
        inside = RelativeTo(dockerfile, context_dir);
      }
      std::string host_dir = context_dir == "." ? request.code_dir
                                                : fs::Join(request.code_dir, context_dir);
      auto text = fs::ReadFile(fs::Join(request.code_dir, dockerfile), 1 << 20);
      if (!text) return fail(service->id, "cannot read " + dockerfile + ": " + text.error().message);
      std::map<std::string, std::string> args = BuildArgs(*request.env, service->id);
      std::string key = *text;
      for (const auto& [name, value] : args) key += "\n" + name + "=" + value;
      std::string tag = naming_.DevImage(request.project, service->id, Sha256Hex(key));
      if (!request.force && TRY(runtime_.InspectImage(tag))) {
        log(fmt::format("==> {}: dev image {} is up to date", service->id, tag));
        set.images[service->id] = tag;
        continue;
      }
      log(fmt::format("==> {}: building the dev image from {}", service->id, dockerfile));
      auto context = images::TarDirectory(host_dir);
      if (!context) return fail(service->id, context.error().message);
      runtime::BuildOutcome outcome =
          TRY(Build(tag, std::move(*context), *inside, args, request, log));
      if (!outcome.ok) return fail(service->id, outcome.error);
      set.images[service->id] = tag;
      continue;
    }

    // Built from the commit: components in built stages, add-ons with `build` everywhere.
    const manifest::Build& build = *service->build;
    std::string tag = naming_.BuiltImage(request.project, service->id, request.commit);
    if (!request.force && TRY(runtime_.InspectImage(tag))) {
      log(fmt::format("==> {}: image {} exists for this commit", service->id, tag));
      set.images[service->id] = tag;
      continue;
    }
    std::optional<std::string> inside = RelativeTo(build.dockerfile, build.context);
    if (!inside) {
      return fail(service->id, fmt::format("the Dockerfile {} is outside the build context {}",
                                           build.dockerfile, build.context));
    }
    log(fmt::format("==> {}: building {} at {}", service->id, build.dockerfile,
                    request.commit.substr(0, 12)));
    auto context = request.repository->Archive(request.commit,
                                               build.context == "." ? "" : build.context,
                                               kMaxContextBytes);
    if (!context) return fail(service->id, context.error().message);
    runtime::BuildOutcome outcome = TRY(
        Build(tag, std::move(*context), *inside, BuildArgs(*request.env, service->id), request, log));
    if (!outcome.ok) return fail(service->id, outcome.error);
    set.images[service->id] = tag;
  }
  set.ok = true;
  return set;
}

}  // namespace yard::controller
