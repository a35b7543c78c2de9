#pragma once

// The built-in add-on catalog (postgres, redis): image, port, data volume, health check,
// generated password and exported variables with sensible defaults.

#include <span>
#include <string_view>

#include "manifest/model.h"

namespace yard::manifest {

/// The catalog's entry names, in the order they are documented.
std::span<const std::string_view> CatalogNames();

/// True when `name` is a catalog entry.
bool IsCatalogEntry(std::string_view name);

/// Fills `addon` (whose id is set) with the entry's defaults: image, command, port, storage,
/// health, env and exports, with the add-on's id as its host name. Every default points at
/// `where` (the `catalog` key). REQUIRES: IsCatalogEntry(name).
void ApplyCatalogDefaults(std::string_view name, Location where, Service& addon);

}  // namespace yard::manifest
