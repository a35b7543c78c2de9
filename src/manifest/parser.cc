#include "manifest/parser.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>

#include "manifest/durations.h"
#include "manifest/interpolation.h"
#include "manifest/parser_internal.h"
#include "manifest/paths.h"
#include "manifest/yaml_reader.h"

namespace yard::manifest {
namespace internal {

std::string ItemPrefix(const YAML::Node& item, std::string_view what, size_t index) {
  if (item.IsMap()) {
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "id" && it->second.IsScalar() &&
          WhyNotId(it->second.Scalar()).empty()) {
        return fmt::format("{} \"{}\"", what, it->second.Scalar());
      }
    }
  }
  return fmt::format("{} #{}", what, index + 1);
}

std::optional<std::string> ReadId(Reader& reader, const MapReader& map) {
  const Field* field = map.Get("id");
  if (field == nullptr) {
    reader.Error(map.where(), map.prefix(), "missing key \"id\"");
    return std::nullopt;
  }
  auto id = reader.Text(*field, map.prefix(), "id");
  if (!id) return std::nullopt;
  std::string why = WhyNotId(*id);
  if (!why.empty()) {
    reader.Error(field->where, map.prefix(),
                 fmt::format("id \"{}\" {} (ids are DNS labels: lowercase letters, digits and "
                             "'-', at most 40)",
                             Printable(*id), why));
    return std::nullopt;
  }
  return id;
}

std::optional<std::string> ReadRepositoryPath(Reader& reader, const Field& field,
                                              std::string_view prefix, std::string_view name,
                                              std::string_view base) {
  auto text = reader.Text(field, prefix, name);
  if (!text) return std::nullopt;
  auto path = JoinRepositoryPath(base, *text);
  if (!path) {
    reader.Error(field.where, prefix,
                 fmt::format("{} \"{}\" {}", name, Printable(*text), path.error().message));
    return std::nullopt;
  }
  return *path;
}

std::optional<std::string> ReadContainerPath(Reader& reader, const Field& field,
                                             std::string_view prefix, std::string_view name) {
  auto text = reader.Text(field, prefix, name);
  if (!text) return std::nullopt;
  auto path = NormalizeContainerPath(*text);
  if (!path) {
    reader.Error(field.where, prefix,
                 fmt::format("{} \"{}\" {}", name, Printable(*text), path.error().message));
    return std::nullopt;
  }
  return *path;
}

std::vector<std::string> ReadStageList(Reader& reader, const Field& field, std::string_view prefix,
                                       std::string_view name) {
  std::vector<std::string> stages;
  for (const Field& item : reader.Items(field, prefix, name)) {
    auto id = reader.Text(item, prefix, fmt::format("{} item", name));
    if (id) stages.push_back(std::move(*id));
  }
  return stages;
}

Location SecondDocument(std::string_view text) {
  // A document marker at the start of a line ends any block scalar, so a line scan is exact
  // enough: a "---" or "..." after content starts (or ends) a document.
  bool content = false;
  int line = 1;
  for (size_t start = 0; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view row = text.substr(start, end - start);
    start = end + 1;
    bool marker = (row.starts_with("---") || row.starts_with("...")) &&
                  (row.size() == 3 || row[3] == ' ' || row[3] == '\t' || row[3] == '\r');
    if (marker && content) return {line, 1};
    size_t first = row.find_first_not_of(" \t\r");
    if (!marker && first != std::string_view::npos && row[first] != '#' && row[0] != '%') {
      content = true;
    }
  }
  return {};
}

namespace {

constexpr std::string_view kTopKeys[] = {"version", "stages",  "params", "components",
                                         "addons",  "actions", "primary"};
constexpr std::string_view kStageKeys[] = {"id", "kind", "auto_stop"};
constexpr std::string_view kParamKeys[] = {"id", "type", "values", "default", "description"};
constexpr std::string_view kActionKeys[] = {"id", "component", "command", "description", "stages"};
constexpr std::string_view kParamTypes[] = {"string",  "integer", "number",
                                            "boolean", "secret",  "enum"};

std::vector<Stage> DefaultStages() {
  return {{"development", StageKind::kDev, 12 * 3600, {}},
          {"staging", StageKind::kBuild, std::nullopt, {}},
          {"production", StageKind::kBuild, std::nullopt, {}}};
}

std::optional<Stage> ParseStage(Reader& reader, const Field& item, size_t index) {
  MapReader map(reader, item, ItemPrefix(item.value, "stage", index), "", kStageKeys);
  if (!map.ok()) return std::nullopt;
  auto id = ReadId(reader, map);
  if (!id) return std::nullopt;
  Stage stage{*id, *id == "development" ? StageKind::kDev : StageKind::kBuild, std::nullopt,
              item.where};
  if (const Field* kind = map.Get("kind")) {
    auto text = reader.Text(*kind, map.prefix(), "kind");
    if (text && (*text == "dev" || *text == "build")) {
      stage.kind = *text == "dev" ? StageKind::kDev : StageKind::kBuild;
    } else if (text) {
      reader.Error(kind->where, map.prefix(),
                   fmt::format("kind must be dev or build, got {}", Describe(kind->value)));
    }
  }
  if (stage.kind == StageKind::kDev) stage.auto_stop_seconds = 12 * 3600;
  if (const Field* auto_stop = map.Get("auto_stop")) {
    if (auto_stop->value.IsScalar() && auto_stop->value.Scalar() == "never") {
      stage.auto_stop_seconds = std::nullopt;
    } else if (auto seconds = reader.DurationSeconds(*auto_stop, map.prefix(), "auto_stop")) {
      stage.auto_stop_seconds = *seconds;
    }
  }
  return stage;
}

// Checks a param's default (or an enum value) against its type.
bool FitsType(ParamType type, const YAML::Node& value) {
  const std::string& text = value.Scalar();
  switch (type) {
    case ParamType::kInteger: {
      int64_t number = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      return IsPlain(value) && error == std::errc() && end == text.data() + text.size();
    }
    case ParamType::kNumber: {
      double number = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      return IsPlain(value) && error == std::errc() && end == text.data() + text.size();
    }
    case ParamType::kBoolean:
      return IsPlain(value) && (text == "true" || text == "false");
    default:
      return true;
  }
}

std::optional<Param> ParseParam(Reader& reader, const Field& item, size_t index) {
  std::string prefix = fmt::format("param #{}", index + 1);
  if (item.value.IsMap()) {
    for (auto it = item.value.begin(); it != item.value.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "id" && it->second.IsScalar() &&
          IsParamId(it->second.Scalar())) {
        prefix = fmt::format("param \"{}\"", it->second.Scalar());
      }
    }
  }
  MapReader map(reader, item, prefix, "", kParamKeys);
  if (!map.ok()) return std::nullopt;
  const Field* id_field = map.Get("id");
  if (id_field == nullptr) {
    reader.Error(map.where(), prefix, "missing key \"id\"");
    return std::nullopt;
  }
  auto id = reader.Text(*id_field, prefix, "id");
  if (!id) return std::nullopt;
  if (!IsParamId(*id)) {
    reader.Error(id_field->where, prefix,
                 fmt::format("id \"{}\" must be 1 to 40 lowercase letters, digits and '_', "
                             "starting with a letter",
                             Printable(*id)));
    return std::nullopt;
  }
  Param param{*id, ParamType::kString, {}, std::nullopt, "", item.where};
  bool type_ok = true;
  if (const Field* type = map.Get("type")) {
    auto text = reader.Text(*type, prefix, "type");
    type_ok = false;
    for (size_t i = 0; text && i < std::size(kParamTypes); ++i) {
      if (*text == kParamTypes[i]) {
        param.type = static_cast<ParamType>(i);
        type_ok = true;
      }
    }
    if (text && !type_ok) {
      reader.Error(type->where, prefix,
                   fmt::format("type must be one of string, integer, number, boolean, secret, "
                               "enum; got {}",
                               Describe(type->value)));
    }
  }
  const Field* values = map.Get("values");
  if (param.type == ParamType::kEnum) {
    if (values == nullptr) {
      reader.Error(map.where(), prefix, "an enum param needs \"values\", the allowed values");
    } else {
      for (const Field& value : reader.Items(*values, prefix, "values")) {
        if (auto text = reader.Text(value, prefix, "values item")) param.values.push_back(*text);
      }
      if (values->value.IsSequence() && param.values.empty()) {
        reader.Error(values->where, prefix, "values must not be empty");
      }
    }
  } else if (values != nullptr && type_ok) {
    reader.Error(values->key_where, prefix, "values is only allowed for type enum");
  }
  if (const Field* default_value = map.Get("default")) {
    auto text = reader.Text(*default_value, prefix, "default");
    if (text && type_ok) {
      bool fits = FitsType(param.type, default_value->value);
      if (param.type == ParamType::kEnum && !param.values.empty()) {
        fits = std::find(param.values.begin(), param.values.end(), *text) != param.values.end();
      }
      if (fits) {
        param.default_value = *text;
      } else {
        reader.Error(default_value->where, prefix,
                     fmt::format("default must be {}, got {}",
                                 param.type == ParamType::kEnum
                                     ? std::string("one of the values")
                                     : fmt::format("of type {}", ParamTypeName(param.type)),
                                 Describe(default_value->value)));
      }
    }
  }
  if (const Field* description = map.Get("description")) {
    if (auto text = reader.Text(*description, prefix, "description")) param.description = *text;
  }
  return param;
}

std::optional<Action> ParseAction(Reader& reader, const Field& item, size_t index) {
  MapReader map(reader, item, ItemPrefix(item.value, "action", index), "", kActionKeys);
  if (!map.ok()) return std::nullopt;
  auto id = ReadId(reader, map);
  if (!id) return std::nullopt;
  Action action;
  action.id = *id;
  action.where = item.where;
  if (const Field* component = map.Get("component")) {
    if (auto text = reader.Text(*component, map.prefix(), "component")) action.component = *text;
    action.component_where = component->where;
  } else {
    reader.Error(map.where(), map.prefix(), "missing key \"component\" (where the command runs)");
  }
  if (const Field* command = map.Get("command")) {
    if (auto parsed = reader.ReadCommand(*command, map.prefix(), "command")) {
      action.command = *parsed;
    }
  } else {
    reader.Error(map.where(), map.prefix(), "missing key \"command\"");
  }
  if (const Field* description = map.Get("description")) {
    if (auto text = reader.Text(*description, map.prefix(), "description")) {
      action.description = *text;
    }
  }
  if (const Field* stages = map.Get("stages")) {
    action.stages = ReadStageList(reader, *stages, map.prefix(), "stages");
    action.stages_where = stages->where;
  }
  return action;
}

// Calls `parse` on each item of the top-level list `key`, collecting what it returns.
template <typename T, typename Parse>
std::vector<T> ParseList(Reader& reader, const MapReader& top, std::string_view key, Parse parse) {
  std::vector<T> out;
  const Field* field = top.Get(key);
  if (field == nullptr || field->value.IsNull()) return out;
  std::vector<Field> items = reader.Items(*field, "", key);
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].value.IsMap()) {
      reader.Error(items[i].where, "",
                   fmt::format("each item of {} must be a map with an id, got {}", key,
                               Describe(items[i].value)));
      continue;
    }
    if (auto parsed = parse(items[i], i)) out.push_back(std::move(*parsed));
  }
  return out;
}

void ParseStack(Reader& reader, const YAML::Node& root, Stack& stack) {
  if (root.IsNull()) {
    reader.Error({1, 1}, "", "the manifest is empty; it needs at least \"version: 1\"");
    return;
  }
  Location root_where = At(root);
  MapReader top(reader, {"", root, root_where, root_where}, "", "", kTopKeys);
  if (!top.ok()) return;
  if (const Field* version = top.Get("version")) {
    auto number = reader.Integer(*version, "", "version", 1, INT32_MAX);
    if (number && *number != kManifestVersion) {
      reader.Error(version->where, "",
                   fmt::format("unsupported version {}; this yard reads version {}", *number,
                               kManifestVersion));
    }
  } else {
    reader.Error(root_where, "", "missing key \"version\" (add \"version: 1\" at the top)");
  }
  if (const Field* stages = top.Get("stages")) {
    stack.stages = ParseList<Stage>(reader, top, "stages", [&](const Field& item, size_t i) {
      return ParseStage(reader, item, i);
    });
    if (stages->value.IsSequence() && stages->value.size() == 0) {
      reader.Error(stages->where, "", "stages must not be empty (omit it for the defaults)");
    }
  } else {
    stack.stages = DefaultStages();
  }
  stack.params = ParseList<Param>(reader, top, "params", [&](const Field& item, size_t i) {
    return ParseParam(reader, item, i);
  });
  stack.components =
      ParseList<Service>(reader, top, "components", [&](const Field& item, size_t i) {
        return ParseService(reader, item, i, ServiceKind::kComponent, stack.stages);
      });
  stack.addons = ParseList<Service>(reader, top, "addons", [&](const Field& item, size_t i) {
    return ParseService(reader, item, i, ServiceKind::kAddon, stack.stages);
  });
  stack.actions = ParseList<Action>(reader, top, "actions", [&](const Field& item, size_t i) {
    return ParseAction(reader, item, i);
  });
  if (const Field* primary = top.Get("primary")) {
    if (auto id = reader.Text(*primary, "", "primary")) {
      stack.primary = *id;
      stack.primary_where = primary->where;
    }
  } else if (!stack.components.empty()) {
    stack.primary = stack.components.front().id;
  } else if (!stack.addons.empty()) {
    stack.primary = stack.addons.front().id;
  }
  const Field* components = top.Get("components");
  const Field* addons = top.Get("addons");
  auto empty = [](const Field* f) {
    return f == nullptr || f->value.IsNull() || f->value.size() == 0;
  };
  if (empty(components) && empty(addons)) {
    reader.Error(root_where, "",
                 "the stack has no components and no add-ons; declare at least one");
  }
}

}  // namespace
}  // namespace internal

bool ParseResult::ok() const {
  for (const Diagnostic& diagnostic : diagnostics) {
    if (diagnostic.severity == Severity::kError) return false;
  }
  return true;
}

ParseResult ParseManifest(std::string_view text, const std::string& file) {
  ParseResult result;
  Diagnostics diagnostics(file);
  auto finish = [&] {
    result.diagnostics = diagnostics.Take();
    return std::move(result);
  };
  if (text.size() > kMaxManifestBytes) {
    diagnostics.Error({}, fmt::format("the manifest is {} bytes; at most {} are allowed",
                                      text.size(), kMaxManifestBytes));
    return finish();
  }
  // yaml-cpp reports everything by throwing; nothing of it may escape this function.
  try {
    // Not YAML::LoadAll: yaml-cpp 0.7 loops forever in it on some inputs (a lone ","; found
    // by fuzz/run, kept as testdata/invalid/lone_comma.yaml). Load reads the first document.
    YAML::Node root = YAML::Load(std::string(text));
    if (Location second = internal::SecondDocument(text); second.line != 0) {
      diagnostics.Error(second, "the manifest must be one YAML document, found a second one");
    }
    internal::Reader reader(diagnostics);
    internal::ParseStack(reader, root, result.stack);
  } catch (const YAML::Exception& e) {
    Location where;
    if (!e.mark.is_null()) where = {e.mark.line + 1, e.mark.column + 1};
    diagnostics.Error(where, fmt::format("invalid YAML: {}", e.msg));
    result.stack = Stack();
  } catch (const std::exception& e) {
    diagnostics.Error({}, fmt::format("cannot read the manifest: {}", e.what()));
    result.stack = Stack();
  }
  return finish();
}

}  // namespace yard::manifest
