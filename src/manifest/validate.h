#pragma once

// Cross-checks of a parsed stack: what no single item can check on its own (unique ids,
// references between items, ports against endpoints) and what needs the repository (folders
// and Dockerfiles that exist at the commit).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/diagnostics.h"
#include "manifest/model.h"
#include "manifest/repository_view.h"

namespace yard::manifest {

/// Reports every problem into `diagnostics`. With a repository, also checks folders, build
/// contexts and Dockerfiles, and settles the dev Dockerfile left to the default
/// (FOLDER/Dockerfile.dev if it exists, else the build Dockerfile); `repository` may be null
/// to skip those checks (the default then stays unsettled).
void Validate(Stack& stack, RepositoryView* repository, Diagnostics& diagnostics);

/// The platform variables a service can import from `stackyard`.
std::span<const std::string_view> PlatformVariables();

/// The variables a service exports: its env, its exports and its endpoints' URLs.
std::vector<std::string> ExportedVariables(const Service& service);

}  // namespace yard::manifest
