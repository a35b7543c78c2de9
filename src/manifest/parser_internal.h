#pragma once

// INTERNAL to the manifest parser: helpers shared by parser.cc and parse_service.cc.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/model.h"
#include "manifest/yaml_reader.h"

namespace yard::manifest::internal {

/// How messages name a list item: `component "web"` when it has a well-formed id, else
/// `component #2` (1-based).
std::string ItemPrefix(const YAML::Node& item, std::string_view what, size_t index);

/// Where a second YAML document starts (or the first one ends with "..."), line 0 if nowhere.
Location SecondDocument(std::string_view text);

/// Reads the required `id` (a DNS label, see paths.h).
std::optional<std::string> ReadId(Reader& reader, const MapReader& map);

/// A repository path relative to `base`, normalised (paths.h).
std::optional<std::string> ReadRepositoryPath(Reader& reader, const Field& field,
                                              std::string_view prefix, std::string_view name,
                                              std::string_view base);

/// An absolute container path (paths.h).
std::optional<std::string> ReadContainerPath(Reader& reader, const Field& field,
                                             std::string_view prefix, std::string_view name);

/// A list of stage ids (whether they are declared is validate.cc's business).
std::vector<std::string> ReadStageList(Reader& reader, const Field& field, std::string_view prefix,
                                       std::string_view name);

/// A component or add-on from one item of `components` / `addons`; nullopt when it has no
/// usable id (other errors leave it partly filled).
std::optional<Service> ParseService(Reader& reader, const Field& item, size_t index,
                                    ServiceKind kind, const std::vector<Stage>& stages);

}  // namespace yard::manifest::internal
