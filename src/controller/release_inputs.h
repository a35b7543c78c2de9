#pragma once

// What a release is made from, read the same way by the reconciler (to run it) and by the
// build runner (to build it): the stack at a commit, the deployment's stage in it, and the
// environment resolved with the deployment's params and its stored generated values.

#include <map>
#include <optional>
#include <string>

#include "base/result.h"
#include "controller/context.h"
#include "git/bare_repository.h"
#include "manifest/env_resolver.h"
#include "manifest/parser.h"
#include "store/deployments.h"

namespace yard::controller {

/// The manifest at `commit`, parsed and checked against the repository at that commit.
/// kFailedPrecondition with the first error when it is invalid.
Result<manifest::ParseResult> LoadStackAt(const git::BareRepository& repository,
                                          const std::string& commit);

/// The stage named `id`, or null.
const manifest::Stage* FindStage(const manifest::Stack& stack, const std::string& id);

/// A deployment's env overrides (store::Deployment::env) are keyed `NAME` for every
/// component and `COMPONENT:NAME` for one; a sealed value (secrets/secret_box.h) is a secret.
std::string OverrideKey(const std::string& component, const std::string& name);
/// The overrides `component` gets, as stored (sealed or not): those for every component, then
/// its own, which win.
std::map<std::string, std::string> OverridesFor(const store::Deployment& d,
                                                const std::string& component);

/// The environment of every service of `stack` for deployment `d` at `commit`, with the
/// deployment's overrides in its components' env (origin kOverride; source "deployment" or
/// the component). Sealed params, overrides and generated values are opened here, the only
/// place the controller sees them in plain text. Values drawn for ${generate:...} the first
/// time are stored (sealed) before they are used, so that every reader sees the same ones.
Result<manifest::EnvResolution> ResolveDeploymentEnv(const ControllerContext& ctx,
                                                     const store::Deployment& d,
                                                     const manifest::Stack& stack,
                                                     const std::string& commit);

}  // namespace yard::controller
