#pragma once

// The plan: from a deployment's stack, stage, resolved environment and release images, the
// containers it should have. Pure logic, no engine and no disk: the reconciler compares the
// plan with what runs. A container whose spec changes (new image, env, limits, restart
// generation) gets a new spec digest and is replaced.

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "controller/context.h"
#include "controller/naming.h"
#include "manifest/env_resolver.h"
#include "manifest/model.h"
#include "runtime/runtime.h"
#include "store/deployments.h"

namespace yard::controller {

struct ServicePlan {
  std::string id;
  bool addon = false;
  int64_t generation = 1;
  runtime::ContainerSpec spec;  // labels included, image from the release
  /// The host directories `spec` mounts, created before the container.
  std::vector<std::string> directories;
  std::optional<manifest::Health> health;
  int port = 0;  // the service's main port (health checks), 0 when none
  /// Add-ons this service imports from: it starts once they are healthy.
  std::vector<std::string> depends_on;
  /// Development stages: the install command, run on the code volume before each start.
  std::optional<std::vector<std::string>> install;
  /// A digest of everything in `spec` that matters; stored as a label.
  std::string digest;
  /// Built stages' components roll: a new version starts beside the old one, which serves
  /// until the new one is healthy (their container names differ by the digest). Add-ons and
  /// development components are replaced in place: two databases on one data directory, or
  /// two dev servers on one code volume, would fight.
  bool rolling = false;
  /// The public endpoints of the service, each on one of its ports.
  struct Endpoint {
    std::string id;
    int port = 0;
  };
  std::vector<Endpoint> endpoints;
};

struct PlanInputs {
  const manifest::Stack* stack = nullptr;
  const manifest::Stage* stage = nullptr;
  const store::Deployment* deployment = nullptr;
  const manifest::EnvResolution* env = nullptr;
  /// Service id -> image reference, for every service.
  const std::map<std::string, std::string>* images = nullptr;
  const Naming* naming = nullptr;
  /// Development stages: Git for the containers (null: none).
  const DevGitSetup* dev_git = nullptr;
};

inline constexpr std::string_view kLabelDigest = "io.stackyard.digest";

/// Add-ons first, then components, each in manifest order. kFailedPrecondition when a service
/// has no image in `images` or its environment did not resolve.
Result<std::vector<ServicePlan>> MakePlan(const PlanInputs& inputs);

/// argv for a manifest command: shell form runs under /bin/sh -c.
std::vector<std::string> CommandArgv(const manifest::Command& command);

}  // namespace yard::controller
